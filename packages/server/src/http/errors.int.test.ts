import { randomBytes } from 'node:crypto';
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
});
