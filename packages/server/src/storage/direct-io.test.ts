import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectSink, STAGE, directIoPossible, openDirect, openDirectRead, readDirect } from './direct-io.ts';

/** Deterministic bytes (no two 4 KiB blocks alike, so a block written at the wrong offset shows). */
const bytesOf = (n: number, seed = 1) => {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};

/** Cuts `b` into pieces of irregular sizes, as request bodies arrive. */
const piecesOf = (b: Buffer) => {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < b.length; i++) {
    const n = Math.min(b.length - at, [1, 4095, 65_536, 300_001, 7][i % 5]!);
    out.push(b.subarray(at, at + n));
    at += n;
  }
  return out;
};

/** O_DIRECT is in the open file's flags (Linux shows them, octal, in /proc/self/fdinfo). */
const isDirect = (fd: number) => (parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8) & constants.O_DIRECT) !== 0;

// The native addon is built by npm install on Linux (CI builds it); elsewhere there is nothing to test.
describe.runIf(process.platform === 'linux')('O_DIRECT object files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-direct-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is possible here: the addon gives aligned buffers', () => {
    expect(directIoPossible()).toBe(true);
  });

  it.each([0, 1, 4095, 4096, 4097, STAGE - 1, STAGE, STAGE + 1, 3 * STAGE + 12_345])('writes exactly %i bytes, O_DIRECT, in any piece sizes', async (n) => {
    const path = join(dir, `f${n}`);
    const sink = (await openDirect(path, 0o644))!;
    expect(sink).toBeInstanceOf(DirectSink);
    try {
      expect(isDirect((sink as unknown as { fh: { fd: number } }).fh.fd)).toBe(true);
      const want = bytesOf(n, n + 1);
      for (const p of piecesOf(want)) await sink.write(p);
      await sink.finish();
      expect((await stat(path)).size).toBe(n);
      expect((await readFile(path)).equals(want)).toBe(true);
    } finally {
      await sink.close();
    }
  });

  it('goes on buffered when the device refuses an O_DIRECT write (EINVAL), losing nothing', async () => {
    const path = join(dir, 'refused');
    const real = await open(path, 'wx');
    let refused = 0;
    const refusing = new Proxy(real, {
      get(target, key) {
        if (key === 'write') return () => (refused++, Promise.reject(Object.assign(new Error('EINVAL: invalid argument'), { code: 'EINVAL' })));
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const sink = new DirectSink(refusing, path);
    const want = bytesOf(2 * STAGE + 999, 7);
    try {
      for (const p of piecesOf(want)) await sink.write(p);
      await sink.finish();
    } finally {
      await sink.close();
    }
    expect(refused).toBe(1); // asked once, then buffered for the rest
    expect((await readFile(path)).equals(want)).toBe(true);
  });

  it('fails the put, not silently, when a write fails otherwise', async () => {
    const path = join(dir, 'broken');
    const real = await open(path, 'wx');
    const failing = new Proxy(real, {
      get(target, key) {
        if (key === 'write') return () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const sink = new DirectSink(failing, path);
    try {
      await expect((async () => {
        for (const p of piecesOf(bytesOf(STAGE + 5))) await sink.write(p);
        await sink.finish();
      })()).rejects.toMatchObject({ code: 'ENOSPC' });
    } finally {
      await sink.close();
    }
  });

  it('reads any byte range O_DIRECT exactly as a buffered read does', async () => {
    const path = join(dir, 'r');
    const want = bytesOf(2 * STAGE + 5_000, 3);
    const w = await open(path, 'w');
    await w.writeFile(want);
    await w.close();
    const fh = (await openDirectRead(path))!;
    try {
      expect(isDirect(fh.fd)).toBe(true);
      for (const [start, length] of [[0, 1], [1, 4096], [4095, 3], [STAGE - 10, STAGE + 20], [want.length - 1, 1], [0, want.length]] as const) {
        const out = Buffer.alloc(length);
        await readDirect(fh, start, out, 'r');
        expect(out.equals(want.subarray(start, start + length)), `bytes ${start}+${length}`).toBe(true);
      }
      await expect(readDirect(fh, want.length - 2, Buffer.alloc(3), 'object r')).rejects.toThrow(`object r ended at byte ${want.length}`);
    } finally {
      await fh.close();
    }
  });
});

describe('the directIo setting', () => {
  it('is on by default; STEWARD_DIRECT_IO=0 turns it off', async () => {
    const { resolveConfig } = await import('../config.ts');
    expect(resolveConfig({ dataDir: '/nonexistent-steward' }, {}).directIo).toBe(true);
    expect(resolveConfig({ dataDir: '/nonexistent-steward' }, { STEWARD_DIRECT_IO: '0' }).directIo).toBe(false);
  });
});
