import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileObjectStore } from './object-store.fs.ts';
import { stallingBodyThenAbort } from './object-store.suite-helpers.ts';
import { describeObjectStore } from './object-store.suite.ts';

const tempRoot = () => mkdtemp(join(tmpdir(), 'steward-objects-'));

describeObjectStore('file', async () => {
  const dir = await tempRoot();
  return { store: createFileObjectStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('file object store specifics', () => {
  it('reads a range into a caller buffer, with the errors of getRange', async () => {
    const dir = await tempRoot();
    try {
      const store = createFileObjectStore(dir);
      const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
      await store.put('packs/p1', bytes);
      const out = Buffer.alloc(1200);
      await store.readInto!('packs/p1', 3000, out);
      expect(out.equals(bytes.subarray(3000, 4200))).toBe(true);
      await expect(store.readInto!('packs/p1', 4000, Buffer.alloc(1001))).rejects.toMatchObject({ code: 'range_not_satisfiable' });
      await expect(store.readInto!('packs/none', 0, Buffer.alloc(1))).rejects.toMatchObject({ code: 'object_not_found' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps objects as plain files and leaves no temp files after failures', async () => {
    const dir = await tempRoot();
    try {
      const store = createFileObjectStore(dir);
      await store.put('blobs/ab/abcd', Buffer.from('x'));
      await expect(store.put('blobs/ab/bad', Buffer.from('y'), { expectedSize: 5 })).rejects.toMatchObject({ code: 'size_mismatch' });
      const ctl = new AbortController();
      await expect(store.put('blobs/ab/abort', stallingBodyThenAbort(ctl, 1000), { signal: ctl.signal })).rejects.toThrow();
      expect(await readdir(join(dir, 'blobs', 'ab'))).toEqual(['abcd']);
      expect(await readdir(join(dir, '.tmp'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sweeps only temp files older than the cutoff and never lists them', async () => {
    const dir = await tempRoot();
    try {
      const store = createFileObjectStore(dir);
      await store.put('k', Buffer.from('x')); // creates .tmp
      const old = join(dir, '.tmp', 'old.part');
      const fresh = join(dir, '.tmp', 'fresh.part');
      await writeFile(old, 'crash leftover');
      await writeFile(fresh, 'upload in progress');
      const now = Date.now();
      await utimes(old, new Date(now - 2 * 3600_000), new Date(now - 2 * 3600_000));
      expect(await store.sweepTemp(3600_000, now)).toBe(1);
      expect(await readdir(join(dir, '.tmp'))).toEqual(['fresh.part']);
      const keys: string[] = [];
      for await (const s of store.list('')) keys.push(s.key);
      expect(keys).toEqual(['k']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a file/directory clash between keys as a conflict', async () => {
    const dir = await tempRoot();
    try {
      const store = createFileObjectStore(dir);
      await store.put('a/b', Buffer.from('x'));
      await expect(store.put('a/b/c', Buffer.from('y'))).rejects.toMatchObject({ code: 'object_key_conflict', status: 409 });
      await expect(store.put('a', Buffer.from('y'))).rejects.toMatchObject({ code: 'object_key_conflict' });
      expect(await store.has('a')).toBe(false);
      expect(await store.stat('a/b/c')).toBeNull();
      await expect(store.get('a')).rejects.toMatchObject({ code: 'object_not_found' });
      expect(await readdir(join(dir, '.tmp'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
