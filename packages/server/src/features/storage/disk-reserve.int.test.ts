import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { startHarness } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { frames, rejected, sha } from './storage-test-helpers.ts';

/** More than any disk has free: every upload of new bytes meets the reserve. */
const HUGE = Number.MAX_SAFE_INTEGER;

// One harness per block: each block gets a fresh database, whose first harness is the admin.
describeEachDb('the free-space reserve, with no room left', (target) => {
  let h: Awaited<ReturnType<typeof startHarness>> | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('refuses uploads of new bytes with 507 before reading them, stores nothing, and says why', async () => {
    h = await startHarness(target.url, { storage: { minFreeBytes: HUGE } });
    const chunk = randomBytes(100 * 1024);
    const up = await h.call('POST', 'chunks', { body: frames([chunk]) });
    expect(up.status).toBe(507);
    expect(up.data.error.code).toBe('storage_full');
    expect(up.data.error.message).toMatch(/keeps .* free on the disk of its file store .*steward gc/);
    expect(up.data.error.details).toMatchObject({ place: 'objects', minFreeBytes: HUGE });
    expect((await h.call('POST', 'chunks/missing', { json: { ids: [sha(chunk)] } })).data.missing).toEqual([sha(chunk)]);

    const blob = randomBytes(10 * 1024);
    const put = await h.call('PUT', `blobs/${sha(blob)}`, { body: blob, headers: { 'content-length': String(blob.length) } });
    expect(put.status).toBe(507);
    expect((await h.call('HEAD', `blobs/${sha(blob)}`)).status).toBe(404);
    expect(h.logged).toHaveLength(0); // a refusal by design, not a failure to log
    expect(await rejected(h, 'storage_full')).toBe(2);
    // What frees space still runs.
    const gc = await h.call('POST', 'storage/gc', { json: { graceSeconds: 0 } });
    expect(gc.status).toBe(200);
  });
});

describeEachDb('the free-space reserve, with room', (target) => {
  let h: Awaited<ReturnType<typeof startHarness>> | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('reports free space and the reserve in storage stats and at /metrics', async () => {
    h = await startHarness(target.url, { storage: { minFreeBytes: 512 * 2 ** 20 } });
    const stats = await h.call('GET', 'storage/stats');
    expect(stats.data.disk.minFreeBytes).toBe(512 * 2 ** 20);
    const places = stats.data.disk.places.map((p: { place: string }) => p.place);
    expect(places).toEqual(target.name === 'sqlite' ? ['objects', 'database'] : ['objects']);
    expect(stats.data.disk.places[0].freeBytes).toBeGreaterThan(0);
    expect((await h.call('GET', 'storage/stats?model=nope')).status).toBe(404);
    const text = (await h.call('GET', '/metrics', { token: null })).text;
    expect(text).toMatch(/^steward_disk_min_free_bytes 536870912$/m);
  });
});
