import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedChunkPool } from './chunk-pool.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-pool-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('sharedChunkPool', () => {
  it('keeps running across callers: a caller closing it does not stop the next one', async () => {
    const file = join(dir, 'a.bin');
    await writeFile(file, 'abc');
    const first = sharedChunkPool(2);
    await first.run({ kind: 'sha', path: file });
    await first.close();
    const r = await sharedChunkPool(2).run({ kind: 'sha', path: file });
    expect(r.sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('does not keep the process alive once idle, even with workers that never ran a task', async () => {
    const file = join(dir, 'b.bin');
    await writeFile(file, 'abc');
    const script = join(dir, 'idle.mts');
    const pool = fileURLToPath(new URL('./chunk-pool.ts', import.meta.url));
    await writeFile(script, `import { sharedChunkPool } from ${JSON.stringify(pool)};\nawait sharedChunkPool(3).run({ kind: 'sha', path: ${JSON.stringify(file)} });\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' });
    const code = await new Promise<number | null | 'hung'>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('hung');
      }, 15_000);
      child.once('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code).toBe(0);
  }, 20_000);
});
