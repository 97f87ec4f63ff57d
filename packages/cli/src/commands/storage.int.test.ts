import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// A real server in-process (test-only reach into the server package).
import { startServer, type RunningServer } from '../../../server/src/server.ts';
import { runCaptured } from '../testing/run-captured.ts';
import { parseGraceSeconds } from './storage.ts';

let server: RunningServer;
let dir: string;

async function cli(argv: string[]) {
  return runCaptured(argv, { env: { STEWARD_URL: server.url, STEWARD_TOKEN: server.adminToken! }, cwd: dir });
}

async function put(bytes: Buffer) {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const res = await fetch(`${server.url}/api/v1/blobs/${sha}`, { method: 'PUT', headers: { authorization: `Bearer ${server.adminToken}` }, body: bytes as BodyInit });
  expect(res.status).toBe(201);
  return sha;
}

const files = (root: string): string[] => readdirSync(root, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));

describe('steward storage stats / gc / fsck against a real server', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-storage-cli-'));
    server = await startServer({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), quiet: true }, {});
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports usage, collects garbage, and fsck exits 1 once a pack is corrupted', async () => {
    const bytes = randomBytes(400_000);
    await put(bytes);
    await put(Buffer.concat([bytes, randomBytes(10)])); // shares all but the last chunk or two
    const stats = await cli(['storage', 'stats', '--json']);
    expect(stats.code, stats.stderr).toBe(0);
    const s = JSON.parse(stats.stdout);
    expect(s.blobs).toBe(2);
    expect(s.logicalBytes).toBe(800_010);
    expect(s.storedBytes).toBeLessThan(600_000);
    expect((await cli(['storage', 'stats'])).stdout).toMatch(/LOGICAL\s+STORED\s+DEDUP[\s\S]*800\.0 KB/);
    expect((await cli(['storage', 'stats', 'nope'])).code).toBe(1);

    await new Promise((r) => setTimeout(r, 20));
    const dry = await cli(['gc', '--grace', '0s', '--dry-run']);
    expect(dry.stdout).toMatch(/^would delete 2 blob\(s\)/);
    expect(JSON.parse((await cli(['storage', 'stats', '--json'])).stdout).blobs).toBe(2);
    const kept = await cli(['gc']); // default grace 1h: both blobs are young
    expect(kept.stdout).toMatch(/^deleted 0 blob\(s\)/);

    const ok = await cli(['fsck']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/: ok$/m);
    const pack = files(join(dir, 'data')).find((f) => f.endsWith('.pack'))!;
    const body = readFileSync(pack);
    body[100] = body[100]! ^ 0xff;
    writeFileSync(pack, body);
    const bad = await cli(['fsck']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/chunk_corrupt/);
    expect(bad.stderr).toMatch(/fsck found \d+ problem/);
  });

  it('parses grace durations', () => {
    expect([parseGraceSeconds('90s'), parseGraceSeconds('30m'), parseGraceSeconds('1h'), parseGraceSeconds('2d'), parseGraceSeconds('15')]).toEqual([90, 1800, 3600, 172800, 15]);
    expect(() => parseGraceSeconds('1 week')).toThrow(/--grace/);
  });
});
