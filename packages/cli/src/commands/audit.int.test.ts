import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StewardClient } from '@steward/client';
import { canonicalJson } from '@steward/core';
// A real server in-process (test-only reach into the server package).
import { startServer, type RunningServer } from '../../../server/src/server.ts';
import { runCaptured } from '../testing/run-captured.ts';

let server: RunningServer;
let dir: string;

async function cli(argv: string[], token = server.adminToken!) {
  return runCaptured(argv, { env: { STEWARD_URL: server.url, STEWARD_TOKEN: token }, cwd: dir });
}

describe('steward audit verify / log and steward fleet against a real server', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-audit-cli-'));
    server = await startServer({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), quiet: true }, {});
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies the chain, then fails on a row edited with SQL', async () => {
    expect((await cli(['model', 'create', 'fraud'])).code).toBe(0);
    expect((await cli(['model', 'create', 'ranker'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1100)); // let the block with these events end (1 s blocks)
    const ok = await cli(['audit', 'verify']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ok: \d+ blocks, \d+ events verified; head [0-9a-f]{64}/);
    const head = /head ([0-9a-f]{64})/.exec(ok.stdout)![1]!;

    const log = await cli(['audit', 'log', '--action', 'model.create', '--json']);
    const events = JSON.parse(log.stdout) as { target: string; block: number | null }[];
    expect(events.map((e) => e.target)).toEqual(['ranker', 'fraud']);
    expect(events.every((e) => Number.isInteger(e.block))).toBe(true);

    const db = new Sqlite(join(dir, 'data', 'steward.db'));
    db.prepare("update audit_events set actor = 'mallory' where target = 'fraud'").run();
    const bad = await cli(['audit', 'verify']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/TAMPERED: block \d+: events do not match the events root/);
    expect(bad.stderr).toMatch(/chain_tampered/);
    db.prepare("update audit_events set actor = 'admin' where target = 'fraud'").run();
    expect((await cli(['audit', 'verify', '--expect-head', head])).code).toBe(0);
    // Dropping the newest block is caught only against a recorded head.
    const last = db.prepare('select max(height) as h from blocks').get() as { h: number };
    db.prepare('delete from blocks where height = ?').run(last.h);
    db.close();
    expect((await cli(['audit', 'verify', '--expect-head', head])).code).toBe(1);
  });

  it('lists nodes with version drift and a model\'s transitions', async () => {
    expect((await cli(['fleet', 'nodes'])).stdout).toMatch(/no nodes registered/);
    const t = await cli(['fleet', 'transitions', 'fraud']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/no transitions for fraud/);
    expect((await cli(['fleet', 'transitions', 'nope'])).code).toBe(1);

    await writeFile(join(dir, 'w.bin'), 'weights');
    expect((await cli(['push', 'fraud', '1.0.0', 'w.bin'])).code).toBe(0);
    expect((await cli(['channel', 'set', 'fraud', 'production', '1.0.0'])).code).toBe(0);
    const client = new StewardClient({ url: server.url, token: server.adminToken! });
    const v = await client.versions.get('fraud', '1.0.0');
    const digest = createHash('sha256').update(canonicalJson(v.manifest)).digest('hex');
    const channels = [{ model: 'fraud', channel: 'production' }];
    await client.fleet.heartbeat('edge-1', { channels, installed: [{ model: 'fraud', version: '1.0.0', digest }], profile: { platform: 'android', arch: 'arm64' } });
    await client.fleet.heartbeat('edge-2', { channels, installed: [{ model: 'fraud', version: '1.0.0', digest: 'e'.repeat(64) }] });
    const nodes = await cli(['fleet', 'nodes', '--model', 'fraud']);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(nodes.stdout).toMatch(/edge-1\s+live\s+android\/arm64.*fraud@1\.0\.0 /);
    expect(nodes.stdout).toMatch(/edge-2\s+live.*fraud@1\.0\.0!/);
    expect(nodes.stdout).toContain('fraud: 1.0.0 x2');
    const tr = await cli(['fleet', 'transitions', 'fraud', '--channel', 'production']);
    expect(tr.stdout).toMatch(/production\s+set\s+- -> 1\.0\.0\s+scheduled/);

    const desired = await cli(['fleet', 'desired', 'edge-1']);
    expect(desired.code, desired.stderr).toBe(0);
    // In force once its block is reached (a slow machine may still be a block short): the schedule shows it either way.
    expect(desired.stdout).toMatch(/fraud\/production\s+(1\.0\.0|-)\s+1\.0\.0@\d+\s+-/);
    const etag = /etag (\S+)/.exec(desired.stdout)![1]!;
    const t0 = Date.now();
    const same = await cli(['fleet', 'desired', 'edge-1', '--since', etag, '--wait', '300ms']);
    expect([same.code, same.stdout.trim()]).toEqual([0, `unchanged (etag ${etag})`]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    const bad = await cli(['fleet', 'desired', 'edge-1', '--wait', '2m']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--wait must be a duration/);
  });
});
