import { Readable } from 'node:stream';
import { DigestMismatchError, InvalidInputError, NotFoundError } from '@steward/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectStore } from './object-store.ts';
import { MiB, PatternObject, collect, listAll, readAll, sha256Hex, sha256Of, stallingBodyThenAbort } from './object-store.suite-helpers.ts';

export interface ObjectStoreFixture {
  store: ObjectStore;
  cleanup: () => Promise<void>;
}

// Golden digests from `printf '' | sha256sum` and `printf 'hello world' | sha256sum`.
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const HELLO_SHA256 = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';

const INVALID_KEYS = ['', '/abs', '../x', 'a/../b', 'a//b', 'a/', 'a\\b', 'a\0b', '.', 'x/./y', '.tmp/x', 'a/'.repeat(600) + 'b'];

/**
 * The behaviour every ObjectStore backend must share. Each test gets a fresh, empty store.
 * @example describeObjectStore('memory', async () => ({ store: createMemoryObjectStore(), cleanup: async () => {} }));
 */
export function describeObjectStore(name: string, create: () => Promise<ObjectStoreFixture>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let fx: ObjectStoreFixture;
    let store: ObjectStore;
    beforeEach(async () => {
      fx = await create();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('round-trips an empty object', async () => {
      expect(await store.put('e/empty', new Uint8Array(0))).toEqual({ size: 0, sha256: EMPTY_SHA256 });
      expect((await readAll(await store.get('e/empty'))).byteLength).toBe(0);
      expect(await store.stat('e/empty')).toEqual({ key: 'e/empty', size: 0 });
      await expect(store.getRange('e/empty', 0, 0)).rejects.toMatchObject({ code: 'range_not_satisfiable' });
    });

    it('round-trips a small object from each body type', async () => {
      const bodies = {
        bytes: new TextEncoder().encode('hello world'),
        readable: Readable.from([Buffer.from('hello '), Buffer.from('world')]),
        iterable: (async function* () {
          yield new TextEncoder().encode('hel');
          yield new TextEncoder().encode('lo world');
        })(),
      };
      for (const [kind, body] of Object.entries(bodies)) {
        expect(await store.put(`small/${kind}`, body)).toEqual({ size: 11, sha256: HELLO_SHA256 });
        expect((await readAll(await store.get(`small/${kind}`))).toString()).toBe('hello world');
      }
      expect(await store.has('small/bytes')).toBe(true);
    });

    it('streams a ~20 MiB object through (multi-part on S3) with the right digest and ranges', async () => {
      const obj = new PatternObject(20 * MiB + 12_345);
      const expected = obj.sha256();
      const res = await store.put('big/obj', obj.body(), { expectedSha256: expected, expectedSize: obj.size });
      expect(res).toEqual({ size: obj.size, sha256: expected });
      expect(await sha256Of(await store.get('big/obj'))).toEqual({ sha256: expected, size: obj.size });
      expect(await store.stat('big/obj')).toEqual({ key: 'big/obj', size: obj.size });
      // Across the 8 MiB part boundary, and the very last byte.
      const [a, b] = [8 * MiB - 3, 8 * MiB + 3];
      expect((await readAll(await store.getRange('big/obj', a, b))).equals(obj.slice(a, b))).toBe(true);
      expect((await readAll(await store.getRange('big/obj', obj.size - 1, obj.size - 1))).equals(obj.slice(obj.size - 1, obj.size - 1))).toBe(true);
    });

    it('writes a body of many small pieces (a pack: one per chunk) byte for byte, and skips the digest when asked', async () => {
      // 700 pieces of 3,001 bytes: past the filesystem store's writev batches of 256 pieces and 1 MiB.
      const pieces = Array.from({ length: 700 }, (_, i) => Buffer.alloc(3001, i % 251));
      const whole = Buffer.concat(pieces);
      const body = (async function* () {
        yield* pieces;
      })();
      expect(await store.put('packs/p', body, { expectedSize: whole.length, hash: false })).toEqual({ size: whole.length });
      expect((await readAll(await store.get('packs/p'))).equals(whole)).toBe(true);
      // hash: false still checks the size, and an expected digest is still checked.
      await expect(store.put('packs/q', Buffer.from('hello world'), { expectedSize: 12, hash: false })).rejects.toMatchObject({ code: 'size_mismatch' });
      await expect(store.put('packs/q', Buffer.from('hello world'), { expectedSha256: EMPTY_SHA256, hash: false })).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await store.put('packs/q', Buffer.from('hello world'), { expectedSha256: HELLO_SHA256, hash: false })).toEqual({ size: 11, sha256: HELLO_SHA256 });
    });

    it('accepts matching expectations (hex case-insensitive)', async () => {
      const body = Buffer.from('hello world');
      await expect(store.put('k', body, { expectedSha256: HELLO_SHA256.toUpperCase(), expectedSize: 11 })).resolves.toEqual({ size: 11, sha256: HELLO_SHA256 });
    });

    it('leaves nothing behind on a digest mismatch', async () => {
      const err = await store.put('d/x', Buffer.from('hello world'), { expectedSha256: EMPTY_SHA256 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DigestMismatchError);
      expect(err).toMatchObject({ code: 'digest_mismatch', details: { actualSha256: HELLO_SHA256 } });
      expect(await store.has('d/x')).toBe(false);
      expect(await listAll(store)).toEqual([]);
    });

    it('leaves nothing behind on a digest mismatch of a multi-part object', async () => {
      const obj = new PatternObject(9 * MiB);
      await expect(store.put('d/big', obj.body(), { expectedSha256: EMPTY_SHA256 })).rejects.toMatchObject({ code: 'digest_mismatch' });
      expect(await listAll(store)).toEqual([]);
    });

    it('rejects a size mismatch, shorter or longer, and leaves nothing', async () => {
      for (const expectedSize of [10, 12, 0]) {
        const err = await store.put('s/x', Buffer.from('hello world'), { expectedSize }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DigestMismatchError);
        expect(err).toMatchObject({ code: 'size_mismatch', status: 422 });
      }
      expect(await listAll(store)).toEqual([]);
    });

    it('keeps the previous object when an overwrite fails verification', async () => {
      await store.put('keep', Buffer.from('old'));
      await expect(store.put('keep', Buffer.from('new!'), { expectedSha256: EMPTY_SHA256 })).rejects.toBeInstanceOf(DigestMismatchError);
      expect((await readAll(await store.get('keep'))).toString()).toBe('old');
    });

    it('aborts mid-stream (even while the body stalls) and leaves nothing', async () => {
      for (const before of [64 * 1024, 9 * MiB]) {
        const ctl = new AbortController();
        const err = await store.put('a/x', stallingBodyThenAbort(ctl, before), { signal: ctl.signal }).catch((e: unknown) => e);
        expect(err).toMatchObject({ name: 'AbortError' });
        expect(await store.has('a/x')).toBe(false);
      }
      const pre = new AbortController();
      pre.abort();
      await expect(store.put('a/y', Buffer.from('x'), { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(await listAll(store)).toEqual([]);
    });

    it('serves byte ranges with strict bounds', async () => {
      await store.put('r', Buffer.from('0123456789'));
      const range = async (s: number, e: number) => (await readAll(await store.getRange('r', s, e))).toString();
      expect(await range(0, 0)).toBe('0');
      expect(await range(9, 9)).toBe('9');
      expect(await range(0, 9)).toBe('0123456789');
      expect(await range(3, 5)).toBe('345');
      for (const [s, e] of [[0, 10], [10, 10], [5, 4], [-1, 3], [1.5, 3]] as const) {
        const err = await store.getRange('r', s, e).catch((x: unknown) => x);
        expect(err, `range ${s}-${e}`).toBeInstanceOf(InvalidInputError);
        expect(err).toMatchObject({ code: 'range_not_satisfiable' });
      }
      await expect(store.getRange('missing', 0, 0)).rejects.toMatchObject({ code: 'object_not_found' });
    });

    it('lists by prefix in UTF-8 byte order with sizes', async () => {
      const keys = ['b/x/2', 'b/x/10', 'b/x-y', 'b/x/1', 'b/y', 'o/z', 'b.txt', 'b/é', 'b/😀', 'b/\uFFFD', 'b/Z'];
      for (const [i, k] of [...keys].reverse().entries()) await store.put(k, Buffer.alloc(i + 1, 1));
      const sizeOf = (k: string) => keys.length - keys.indexOf(k);
      // Independent oracle: sort by the UTF-8 bytes themselves.
      const byBytes = (ks: string[]) => [...ks].sort((p, q) => Buffer.compare(Buffer.from(p), Buffer.from(q)));
      const expectList = async (prefix: string) => {
        const want = byBytes(keys.filter((k) => k.startsWith(prefix))).map((key) => ({ key, size: sizeOf(key) }));
        expect(await collect(store.list(prefix)), `prefix ${JSON.stringify(prefix)}`).toEqual(want);
      };
      for (const p of ['', 'b/', 'b/x', 'b/x/', 'b/x/1', 'b', 'o/', 'none/', 'b/😀']) await expectList(p);
      await expect(collect(store.list('../'))).rejects.toBeInstanceOf(InvalidInputError);
      await expect(collect(store.list('/b'))).rejects.toBeInstanceOf(InvalidInputError);
    });

    it('deletes idempotently', async () => {
      await store.delete('never/was');
      await store.put('d', Buffer.from('x'));
      await store.delete('d');
      await store.delete('d');
      expect(await store.has('d')).toBe(false);
      expect(await store.stat('d')).toBeNull();
      await expect(store.get('d')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('overwrites atomically with the new content', async () => {
      await store.put('o', Buffer.from('first version'));
      expect(await store.put('o', Buffer.from('v2'))).toEqual({ size: 2, sha256: sha256Hex(Buffer.from('v2')) });
      expect((await readAll(await store.get('o'))).toString()).toBe('v2');
      expect(await store.stat('o')).toEqual({ key: 'o', size: 2 });
    });

    it('rejects invalid keys on every operation', async () => {
      for (const key of INVALID_KEYS) {
        const ops: Array<() => Promise<unknown>> = [
          () => store.put(key, Buffer.from('x')),
          () => store.get(key),
          () => store.getRange(key, 0, 0),
          () => store.has(key),
          () => store.stat(key),
          () => store.delete(key),
        ];
        for (const op of ops) {
          const err = await op().catch((e: unknown) => e);
          expect(err, `key ${JSON.stringify(key)}`).toBeInstanceOf(InvalidInputError);
          expect(err).toMatchObject({ code: 'invalid_object_key' });
        }
      }
      expect(await listAll(store)).toEqual([]);
    });

    it('stops a read when its signal aborts', async () => {
      await store.put('g', Buffer.alloc(256 * 1024, 7));
      const ctl = new AbortController();
      const rs = await store.get('g', { signal: ctl.signal });
      ctl.abort();
      await expect(readAll(rs)).rejects.toMatchObject({ name: 'AbortError' });
      const done = new AbortController();
      done.abort();
      await expect(store.get('g', { signal: done.signal })).rejects.toMatchObject({ name: 'AbortError' });
    });

    it('reports a missing key as NotFoundError object_not_found', async () => {
      const err = await store.get('no/such/key').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ code: 'object_not_found', status: 404 });
      expect(await store.has('no/such/key')).toBe(false);
      expect(await store.stat('no/such/key')).toBeNull();
    });

    it('ends concurrent puts of one key with one intact object', async () => {
      const bodies = [0, 1, 2, 3].map((i) => Buffer.alloc(256 * 1024 + i, 65 + i));
      async function* slow(b: Buffer) {
        for (let o = 0; o < b.byteLength; o += 16 * 1024) {
          yield b.subarray(o, o + 16 * 1024);
          await new Promise((r) => setImmediate(r));
        }
      }
      const results = await Promise.all(bodies.map((b) => store.put('c/same', slow(b))));
      results.forEach((r, i) => expect(r.sha256).toBe(sha256Hex(bodies[i]!)));
      const got = await readAll(await store.get('c/same'));
      expect(bodies.some((b) => b.equals(got))).toBe(true);
      expect(await listAll(store)).toEqual(['c/same']);
    });
  });
}
