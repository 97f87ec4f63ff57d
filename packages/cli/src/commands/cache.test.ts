import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// Test-only reach into the client package's fake server (not part of its public exports).
import { startFakeServer } from '../../../client/src/testing/fake-server.ts';
import { runCaptured } from '../testing/run-captured.ts';
import { parseSize } from './cache.ts';

let fake: Awaited<ReturnType<typeof startFakeServer>>;
let dir: string;
beforeEach(async () => {
  fake = await startFakeServer();
  dir = await mkdtemp(join(tmpdir(), 'steward-cli-cache-'));
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

const home = () => join(dir, 'home');
async function cli(argv: string[], env: Record<string, string> = {}) {
  return runCaptured(argv, { env: { STEWARD_URL: fake.url, STEWARD_TOKEN: fake.state.token, STEWARD_HOME: home(), ...env }, cwd: dir });
}
const info = async (env: Record<string, string> = {}) => JSON.parse((await cli(['--json', 'cache', 'info'], env)).stdout) as { dir: string; segments: number; chunks: number; bytes: number; recipes: number; maxBytes: number };

describe('client caches: steward cache, pull --cache-max, push digests', () => {
  it('reports what pulls left in the cache, caps it, trims and clears it', async () => {
    await cli(['model', 'create', 'llm']);
    for (const v of ['1.0.0', '1.1.0']) {
      await writeFile(join(dir, 'w.bin'), randomBytes(1024 * 1024)); // nothing shared between the two
      expect((await cli(['push', 'llm', v, 'w.bin'])).code).toBe(0);
    }
    expect(await info()).toMatchObject({ dir: join(home(), 'cache', 'chunks'), segments: 0, chunks: 0, bytes: 0, maxBytes: 20 * 1024 ** 3 });

    expect((await cli(['pull', 'llm@1.0.0', '-o', 'a'])).code).toBe(0);
    const one = await info();
    expect(one.chunks).toBeGreaterThan(4);
    expect(one.bytes).toBeGreaterThan(1024 * 1024); // the chunks plus each segment's footer
    expect(one.recipes).toBe(1);

    // A cap under two versions' worth: after pulling the second, the first one's chunks go.
    expect((await cli(['pull', 'llm@1.1.0', '-o', 'b', '--cache-max', '1.5MB'])).code).toBe(0);
    const capped = await info();
    expect(capped.bytes).toBeLessThanOrEqual(1.5 * 1024 * 1024);
    expect(capped.bytes).toBeGreaterThan(0);
    expect((await info({ STEWARD_CACHE_MAX: '2GB' })).maxBytes).toBe(2 * 1024 ** 3);

    const trimmed = JSON.parse((await cli(['--json', 'cache', 'trim', '--max', '100KB'])).stdout);
    expect(trimmed.keptBytes).toBeLessThanOrEqual(100 * 1024);
    expect(trimmed.freedBytes).toBeGreaterThan(0);
    const human = await cli(['cache', 'clear']);
    expect(human.stdout).toMatch(/freed /);
    expect(await info()).toMatchObject({ segments: 0, chunks: 0, bytes: 0, recipes: 0 });
    expect(await readdir(join(dir, 'b'))).toEqual(['w.bin']); // pulled files are not the cache's
  });

  it('refuses a size it cannot read, in one line, before pulling anything', async () => {
    const bad = await cli(['pull', 'llm@1.0.0', '-o', 'a', '--cache-max', 'lots']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--cache-max must be a size like 500MB, 20GB or a byte count, got "lots"/);
    expect((await cli(['cache', 'info'], { STEWARD_CACHE_MAX: '-3GB' })).stderr).toMatch(/STEWARD_CACHE_MAX must be a size/);
    expect(fake.state.fetchesServed).toBe(0);
  });

  it('push does not read files unchanged since an earlier push (the digest cache in STEWARD_HOME), unless --rehash', async () => {
    await cli(['model', 'create', 'llm']);
    await writeFile(join(dir, 'w.bin'), randomBytes(300_000));
    await new Promise((r) => setTimeout(r, 2100)); // a file changed in the last 2 s is not remembered
    expect((await cli(['push', 'llm', '1.0.0', 'w.bin'])).stdout).not.toMatch(/unchanged/);
    const again = await cli(['push', 'llm', '1.1.0', 'w.bin']);
    expect(again.stdout).toMatch(/uploaded 0 \(.*\), 1 already stored \(1 file\(s\) unchanged since an earlier push, not read\)/);
    expect((await cli(['push', 'llm', '1.2.0', 'w.bin', '--rehash'])).stdout).not.toMatch(/unchanged/);
    expect(JSON.parse(await readFile(join(home(), 'cache', 'digests.json'), 'utf8'))).toHaveProperty([join(dir, 'w.bin')]);
  }, 20_000);

  it('reads sizes with 1024-based units', () => {
    expect(parseSize('1536', 'x')).toBe(1536);
    expect(parseSize('500MB', 'x')).toBe(500 * 1024 ** 2);
    expect(parseSize('1.5gb', 'x')).toBe(1.5 * 1024 ** 3);
    expect(() => parseSize('5 parsecs', 'x')).toThrow(/x must be a size/);
    expect(() => parseSize('', 'x')).toThrow(/x must be a size/);
  });
});
