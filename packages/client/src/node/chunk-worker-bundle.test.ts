import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedBundle } from './chunk-worker-bundle.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-bundle-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('cachedBundle', () => {
  it('builds once, then reuses the file until an input or the bundler changes', async () => {
    const src = join(dir, 'a.ts');
    const dep = join(dir, 'b.ts');
    await writeFile(src, 'export const a = 1;');
    await writeFile(dep, 'export const b = 2;');
    const cache = join(dir, 'cache');
    let builds = 0;
    const build = () => ({ code: `// build ${++builds}\n`, inputs: [src, dep] });

    const first = cachedBundle(cache, src, '0.28.0', build)!;
    expect([first.built, builds]).toEqual([true, 1]);
    expect(await readFile(first.path, 'utf8')).toBe('// build 1\n');
    const again = cachedBundle(cache, src, '0.28.0', build)!;
    expect([again, builds]).toEqual([{ path: first.path, built: false }, 1]);

    // A dependency edited (mtime moves): rebuilt, under a new name (named by its content).
    await utimes(dep, new Date(), new Date(Date.now() + 5_000));
    const edited = cachedBundle(cache, src, '0.28.0', build)!;
    expect([edited.built, builds, edited.path === first.path]).toEqual([true, 2, false]);
    expect(cachedBundle(cache, src, '0.28.0', build)!.built).toBe(false);

    // Another bundler version, or an input gone: rebuilt too.
    expect(cachedBundle(cache, src, '0.29.0', build)!.built).toBe(true);
    await writeFile(dep, 'export const b = 22;'); // same mtime second is possible, the size differs
    expect(cachedBundle(cache, src, '0.29.0', build)!.built).toBe(true);
    expect(builds).toBe(4);
  });

  it('keeps one manifest per entry, so two checkouts sharing a home do not evict each other', async () => {
    const cache = join(dir, 'shared');
    const one = join(dir, 'one.ts');
    const two = join(dir, 'two.ts');
    await writeFile(one, '1');
    await writeFile(two, '2');
    let builds = 0;
    for (let round = 0; round < 2; round++) {
      for (const entry of [one, two]) cachedBundle(cache, entry, 'v', () => ({ code: `// ${entry} ${++builds}`, inputs: [entry] }));
    }
    expect(builds).toBe(2);
  });

  it('gives null when the cache cannot be written, so the caller bundles in memory', async () => {
    const locked = join(dir, 'locked');
    await writeFile(join(dir, 'c.ts'), 'c');
    await rm(locked, { recursive: true, force: true });
    await writeFile(locked, ''); // a file where a directory should be: not even root can write there
    expect(cachedBundle(join(locked, 'sub'), join(dir, 'c.ts'), 'v', () => ({ code: '', inputs: [join(dir, 'c.ts')] }))).toBeNull();
  });
});
