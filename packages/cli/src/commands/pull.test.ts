import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededBytes } from '@steward/core';
// Test-only reach into the client package's fake server (not part of its public exports).
import { startFakeServer } from '../../../client/src/testing/fake-server.ts';
import { runCaptured } from '../testing/run-captured.ts';

let fake: Awaited<ReturnType<typeof startFakeServer>>;
let dir: string;
beforeEach(async () => {
  fake = await startFakeServer();
  dir = await mkdtemp(join(tmpdir(), 'steward-cli-pull-'));
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[]) {
  return runCaptured(argv, { env: { STEWARD_URL: fake.url, STEWARD_TOKEN: fake.state.token, STEWARD_HOME: join(dir, 'home') }, cwd: dir });
}

/**
 * A 1.5 MiB file and a copy with 10 kB changed in the middle. Seeded, not random: how many chunks
 * the edit touches varies with the bytes, and random ones crossed the 600 KiB bounds below in
 * about 1 run in 300.
 */
function edited(seed: number): [Buffer, Buffer] {
  const v1 = Buffer.from(seededBytes(1536 * 1024, seed));
  const v2 = Buffer.from(v1);
  Buffer.from(seededBytes(10_000, seed + 1000)).copy(v2, 700_000);
  return [v1, v2];
}

describe('steward pull --dry-run / --cache-dir', () => {
  it('predicts the delta given the cache, then transfers exactly that', async () => {
    const [v1, v2] = edited(61);
    await cli(['model', 'create', 'llm']);
    await writeFile(join(dir, 'w.bin'), v1);
    expect((await cli(['push', 'llm', '1.0.0', 'w.bin'])).code).toBe(0);
    await writeFile(join(dir, 'w.bin'), v2);
    const pushed = await cli(['push', 'llm', '1.1.0', 'w.bin']);
    expect(pushed.stdout).toMatch(/uploaded 1 \(.*, \d+ of \d+ chunks\), 0 already stored/);

    const cold = JSON.parse((await cli(['--json', 'pull', 'llm@1.1.0', '-o', 'out', '--dry-run', '--cache-dir', 'cache'])).stdout);
    expect(cold).toMatchObject({ version: '1.1.0', transferBytes: v2.length, cachedChunks: 0, files: 1 });
    await expect(readdir(join(dir, 'out'))).rejects.toThrow(); // a dry run writes nothing

    expect((await cli(['pull', 'llm@1.0.0', '-o', 'out', '--cache-dir', 'cache'])).code).toBe(0);
    const warm = JSON.parse((await cli(['--json', 'pull', 'llm@1.1.0', '-o', 'out', '--dry-run', '--cache-dir', 'cache'])).stdout);
    expect(warm.transferBytes).toBeGreaterThan(10_000);
    expect(warm.transferBytes).toBeLessThan(600 * 1024);
    expect(warm.chunks).toBeLessThan(cold.chunks);
    const human = await cli(['pull', 'llm@1.1.0', '-o', 'out', '--dry-run', '--cache-dir', 'cache']);
    expect(human.stdout).toContain(`would transfer`);
    expect(human.stdout).toContain(`(${warm.transferBytes} bytes before wire compression): ${warm.chunks} chunk(s) to fetch`);

    const before = fake.state.fetchedBytes;
    const wireBefore = fake.state.fetchedWireBytes;
    const pulled = await cli(['--json', 'pull', 'llm@1.1.0', '-o', 'out', '--cache-dir', 'cache']);
    // The fake answers raw frames: the wire carries the predicted payload plus a 36-byte header per chunk.
    expect(JSON.parse(pulled.stdout).pull).toMatchObject({ downloaded: 1, transferredBytes: warm.transferBytes + 36 * warm.chunks });
    expect(fake.state.fetchedBytes - before).toBe(warm.transferBytes);
    expect(fake.state.fetchedWireBytes - wireBefore).toBe(warm.transferBytes + 36 * warm.chunks);
    expect((await readdir(join(dir, 'cache'))).length).toBeGreaterThan(0);
  });

  it('takes the chunks the cache lacks from the version in the output directory, unless --no-seed', async () => {
    const [v1, v2] = edited(62);
    await cli(['model', 'create', 'llm']);
    for (const [version, bytes] of [['1.0.0', v1], ['1.1.0', v2]] as const) {
      await writeFile(join(dir, 'w.bin'), bytes);
      expect((await cli(['push', 'llm', version, 'w.bin'])).code).toBe(0);
    }
    expect((await cli(['pull', 'llm@1.0.0', '-o', 'out', '--cache-dir', 'cache-a'])).code).toBe(0);
    // A cache that never saw 1.0.0: the installed copy stands in for it.
    const unseeded = JSON.parse((await cli(['--json', 'pull', 'llm@1.1.0', '-o', 'out', '--dry-run', '--no-seed', '--cache-dir', 'cache-b'])).stdout);
    expect(unseeded).toMatchObject({ transferBytes: v2.length, seededChunks: 0 });
    const seeded = JSON.parse((await cli(['--json', 'pull', 'llm@1.1.0', '-o', 'out', '--dry-run', '--cache-dir', 'cache-b'])).stdout);
    expect(seeded.transferBytes).toBeLessThan(600 * 1024);
    expect(seeded.seededChunks).toBeGreaterThan(0);
    const human = await cli(['pull', 'llm@1.1.0', '-o', 'out', '--cache-dir', 'cache-b']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`${seeded.seededChunks} of them from the files already there`));
  });
});
