import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StewardClient } from '../client.ts';
import { startFakeServer } from '../testing/fake-server.ts';
import { DigestCache } from './digest-cache.ts';
import { pushVersion } from './push.ts';

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-digests-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Records `path` as read now, the way a push does. */
async function recordNow(cache: DigestCache, path: string): Promise<void> {
  const st = await DigestCache.stat(path);
  cache.record(path, st, await DigestCache.stat(path), sha(await readFile(path)));
}

describe('DigestCache', () => {
  it('gives the digest back while the file is untouched, and not once anything about it changed', async () => {
    const f = join(dir, 'w.bin');
    await writeFile(f, 'weights v1');
    const cache = await DigestCache.open(join(dir, 'digests.json'), { racyMs: 0 });
    await recordNow(cache, f);
    expect(await cache.lookup(f)).toBe(sha('weights v1'));
    await cache.save();
    const again = await DigestCache.open(join(dir, 'digests.json'));
    expect(await again.lookup(f)).toBe(sha('weights v1'));

    // Same size, mtime put back: the change time still tells.
    const { mtime } = await DigestCache.stat(f).then((s) => ({ mtime: new Date(Number(s.mtimeMs)) }));
    await writeFile(f, 'weights v2');
    await utimes(f, mtime, mtime);
    expect(await again.lookup(f)).toBeUndefined();
    await recordNow(cache, f);
    await appendFile(f, '!');
    expect(await cache.lookup(f)).toBeUndefined();
    await rm(f);
    expect(await cache.lookup(f)).toBeUndefined();
  });

  it('does not remember a file changed just before or while it was read', async () => {
    const f = join(dir, 'w.bin');
    await writeFile(f, 'fresh');
    const cache = await DigestCache.open(join(dir, 'digests.json')); // the default 2 s window
    await recordNow(cache, f);
    expect(await cache.lookup(f)).toBeUndefined();
    const lax = await DigestCache.open(join(dir, 'digests.json'), { racyMs: 0 });
    const before = await DigestCache.stat(f);
    await appendFile(f, ' and more');
    lax.record(f, before, await DigestCache.stat(f), sha('fresh'));
    expect(await lax.lookup(f)).toBeUndefined();
  });

  it('treats a damaged cache file as empty', async () => {
    await writeFile(join(dir, 'digests.json'), '{"/x": {"key": 1}, "oops');
    const cache = await DigestCache.open(join(dir, 'digests.json'));
    expect(await cache.lookup('/x')).toBeUndefined();
  });
});

describe('pushVersion with a digest cache', () => {
  it('does not read files unchanged since the last push that the server has, and reads the rest', async () => {
    const fake = await startFakeServer();
    try {
      const client = new StewardClient({ url: fake.url, token: fake.state.token });
      await client.models.create({ name: 'm' });
      await writeFile(join(dir, 'a.bin'), 'a'.repeat(100_000));
      await writeFile(join(dir, 'b.bin'), 'b'.repeat(100_000));
      const digests = await DigestCache.open(join(dir, 'digests.json'), { racyMs: 0 });
      const push = (version: string) => pushVersion(client, { model: 'm', version, paths: ['a.bin', 'b.bin'], cwd: dir, digests });
      expect(await push('1.0.0')).toMatchObject({ uploaded: 2, unchanged: 0 });

      await writeFile(join(dir, 'b.bin'), 'c'.repeat(100_000));
      const second = await push('1.1.0');
      expect(second).toMatchObject({ uploaded: 1, skipped: 1, unchanged: 1 });
      expect(second.version.files.map((f) => [f.path, f.sha256])).toEqual([
        ['a.bin', sha('a'.repeat(100_000))],
        ['b.bin', sha('c'.repeat(100_000))],
      ]);

      // A blob the server no longer has is read and sent again, whatever the cache says.
      fake.state.blobs.delete(sha('a'.repeat(100_000)));
      const third = await push('1.2.0');
      expect(third).toMatchObject({ unchanged: 1 }); // b, unchanged since 1.1.0
      expect(third.uploaded).toBe(1);
      expect(fake.state.blobs.has(sha('a'.repeat(100_000)))).toBe(true);

      // null: every file is read.
      expect(await pushVersion(client, { model: 'm', version: '1.3.0', paths: ['a.bin', 'b.bin'], cwd: dir, digests: null })).toMatchObject({ unchanged: 0, skipped: 2 });
    } finally {
      await fake.close();
    }
  });
});
