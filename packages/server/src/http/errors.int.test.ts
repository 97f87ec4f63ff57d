import { randomBytes } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { sha256, startHarness } from '../testing/api-harness.ts';
import { describeEachDb } from '../testing/test-dbs.ts';

const diskFull = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

describeEachDb('a full disk', (target) => {
  let h: Awaited<ReturnType<typeof startHarness>> | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('answers 507 storage_full with what to do, commits nothing, and the same push succeeds once there is room', async () => {
    h = await startHarness(target.url);
    const bytes = randomBytes(300 * 1024);
    const digest = sha256(bytes);
    const put = h.objects.put.bind(h.objects);
    h.objects.put = async () => {
      throw diskFull();
    };
    const full = await h.call('PUT', `blobs/${digest}`, { body: bytes, headers: { 'content-length': String(bytes.length) } });
    expect(full.status).toBe(507);
    expect(full.data.error.code).toBe('storage_full');
    expect(full.data.error.message).toMatch(/free disk space.*steward gc/);
    expect(h.logged).toHaveLength(1); // the operator sees it in the server log
    expect((await h.call('HEAD', `blobs/${digest}`)).status).toBe(404);

    h.objects.put = put;
    const stored = await h.call('PUT', `blobs/${digest}`, { body: bytes, headers: { 'content-length': String(bytes.length) } });
    expect(stored.status).toBe(201);
    expect((await h.call('HEAD', `blobs/${digest}`)).status).toBe(200);
  });

  it('shows the free space where it writes at /metrics, before a push meets 507', async () => {
    h = await startHarness(target.url);
    const text = (await h.call('GET', '/metrics', { token: null })).text;
    const free = (place: string) => Number(new RegExp(`^steward_disk_free_bytes\\{place="${place}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    const fs = statfsSync(h.dir); // the store's own directory is made at its first put
    expect(Math.abs(free('objects') - Number(fs.bavail) * Number(fs.bsize))).toBeLessThan(256 * 1024 * 1024);
    // The database's place is reported only for SQLite, whose file the server writes itself.
    expect(Number.isNaN(free('database'))).toBe(target.name !== 'sqlite');
  });
});
