import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// A real server in-process (test-only reach into the server package).
import { startServer, type RunningServer } from '../../../server/src/server.ts';
import { runCaptured } from '../testing/run-captured.ts';

let dir: string;
let server: RunningServer | undefined;
const start = async (minFreeMiB: number) => {
  server = await startServer({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), quiet: true, minFreeMiB }, {});
  return server;
};
let token = '';
const cli = (s: RunningServer, argv: string[]) => runCaptured(argv, { env: { STEWARD_URL: s.url, STEWARD_TOKEN: token }, cwd: dir });

describe('a push against a server short of disk space (STEWARD_MIN_FREE_MIB)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-reserve-cli-'));
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses new bytes in one line at once, while a push of stored content still goes through', async () => {
    writeFileSync(join(dir, 'w.bin'), randomBytes(600_000));
    let s = await start(0);
    token = s.adminToken!; // shown once: the second server on the same data has no new one
    expect((await cli(s, ['model', 'create', 'llm'])).code).toBe(0);
    expect((await cli(s, ['push', 'llm', '1.0.0', 'w.bin'])).code).toBe(0);
    await s.close();

    s = await start(1024 * 1024 * 1024); // 1 PiB: more than any disk has
    const stats = await cli(s, ['storage', 'stats']);
    expect(stats.stdout).toMatch(/^disk: objects .* free, database .* free; uploads leave [\d.]+ [KMGTP]i?B \(FULL: pushes of new data are refused/m);

    // Every chunk is stored: nothing to upload, so nothing to refuse.
    const again = await cli(s, ['push', 'llm', '1.0.1', 'w.bin', '--rehash']);
    expect(again.code, again.stderr).toBe(0);

    writeFileSync(join(dir, 'w.bin'), randomBytes(600_000));
    const t0 = Date.now();
    const refused = await cli(s, ['push', 'llm', '1.1.0', 'w.bin']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/keeps .* free on the disk of its (file store|database) .*steward gc/);
    expect(Date.now() - t0).toBeLessThan(10_000); // 507 is not retried (five back-offs would take longer)
    expect((await cli(s, ['versions', 'llm', '--json'])).stdout).not.toMatch(/1\.1\.0/); // the draft went away
  });
});
