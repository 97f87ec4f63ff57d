import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Test-only reach into the server package: a real app on a real SQLite file, served on loopback.
import { startHarness, type Harness } from '../../../server/src/testing/api-harness.ts';
import { runCaptured } from '../testing/run-captured.ts';

let h: Harness;
let server: ReturnType<typeof serve>;
let url: string;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-rollout-cli-'));
  h = await startHarness(`sqlite:${join(dir, 'db.sqlite')}`);
  server = await new Promise((resolve) => {
    const s = serve({ fetch: h.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await h.call('POST', 'models', { json: { name: 'fraud' } });
  await h.push('fraud', '1.0.0', { 'model.onnx': 'a' });
  await h.push('fraud', '1.1.0', { 'model.onnx': 'b' });
  await h.call('PUT', 'models/fraud/channels/production', { json: { version: '1.0.0' } });
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[], opts: { input?: string; tty?: boolean; outTty?: boolean } = {}) {
  return runCaptured(argv, { env: { STEWARD_URL: url, STEWARD_TOKEN: h.admin }, cwd: dir, outTty: opts.outTty ?? false, ...(opts.input !== undefined ? { input: opts.input } : {}), ...(opts.tty !== undefined ? { tty: opts.tty } : {}) });
}

describe('steward rollout (CLI against a real server)', () => {
  it('starts a canary with an analysis file, shows status, pauses, resumes and rolls back by aborting', async () => {
    await writeFile(join(dir, 'checks.yaml'), 'successCondition: errorRate < 0.01 and requests >= 100\nfailureCondition: errorRate > 0.05\ninterval: 1m\ncount: 2\n');
    const start = await cli(['rollout', 'start', 'fraud', 'production', '1.1.0', '--steps', '10,50,100', '--pause', '10m', '--analysis', 'checks.yaml', '--constraint', 'region in eu,us', '--json']);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    const r = JSON.parse(start.stdout);
    expect(r.table.candidate).toMatchObject({ version: '1.1.0', weightBps: 1000, constraints: [{ attribute: 'region', op: 'in', value: ['eu', 'us'] }] });

    const status = await cli(['rollout', 'status', 'fraud', 'production']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/canary 1\.0\.0 -> 1\.1\.0 {2}RUNNING/);
    expect(status.stdout).toContain('[x] 1. weight 10% on 1.1.0');
    expect(status.stdout).toContain('[>] 2. analysis (2 x 1m)');

    expect((await cli(['rollout', 'pause', 'fraud', 'production', '--reason', 'lunch'])).stdout).toMatch(/is paused/);
    expect((await cli(['rollout', 'resume', 'fraud', 'production'])).stdout).toMatch(/is running/);
    const again = await cli(['rollout', 'start', 'fraud', 'production', '1.1.0', '--steps', '5']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has an active rollout.*\(rollout_active\)/);

    const refused = await cli(['rollback', 'fraud', 'production']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/abort rollout ro_/);
    const no = await cli(['rollback', 'fraud', 'production'], { tty: true, input: 'n\n' });
    expect(no.stderr).toMatch(/cancelled/);
    expect((await h.call('GET', 'models/fraud/channels/production')).data.table.candidate).toBeDefined();
    const yes = await cli(['rollback', 'fraud', 'production', '--yes']);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/back on 1\.0\.0/);
    expect((await h.call('GET', 'models/fraud/channels/production')).data.table).toEqual({ stable: '1.0.0' });
    const list = await cli(['rollout', 'list', 'fraud', 'production']);
    expect(list.stdout).toMatch(/canary\s+1\.0\.0 -> 1\.1\.0\s+aborted/);
    const resume = await cli(['rollout', 'resume', 'fraud', 'production']);
    expect(resume.code).toBe(1);
    expect(resume.stderr).toMatch(/rollout_finished/);
  });

  it('runs an A/B rollout and prints the z-test', async () => {
    expect((await cli(['rollout', 'start', 'fraud', 'production', '1.1.0', '--strategy', 'ab', '--split', '50,50'])).code).toBe(0);
    const now = Date.now();
    const w = (version: string, requests: number, errors: number) => ({ model: 'fraud', channel: 'production', version, start: new Date(now - 1000).toISOString(), end: new Date(now).toISOString(), requests, errors });
    await h.call('POST', 'telemetry', { json: { windows: [w('1.0.0', 1000, 30), w('1.1.0', 1000, 45)] } });
    const s = await cli(['rollout', 'status', 'fraud', 'production']);
    expect(s.stdout).toMatch(/errorRate: a 3\.00% \(30\/1000\) {2}b 4\.50% \(45\/1000\).*p 0\.0775/);
    expect((await cli(['rollout', 'promote', 'fraud', 'production'])).stdout).toMatch(/succeeded/);
    expect((await h.call('GET', 'models/fraud/channels/production')).data.table).toEqual({ stable: '1.1.0' });
    // On a terminal the status view redraws until the rollout ends; a finished one draws once and returns.
    const live = await cli(['rollout', 'status', 'fraud', 'production'], { outTty: true });
    expect(live.stdout.startsWith('\x1b[H\x1b[2J')).toBe(true);
    expect(live.stdout).toMatch(/SUCCEEDED/);
    expect(live.stdout).not.toMatch(/refreshing/);
    expect((await cli(['rollout', 'start', 'fraud', 'production', '1.0.0', '--steps', '10,100', '--pause', 'manual'])).code).toBe(0);
    const watching = cli(['rollout', 'status', 'fraud', 'production', '--interval', '50'], { outTty: true });
    await new Promise((r) => setTimeout(r, 300));
    await h.call('POST', 'models/fraud/channels/production/rollout/promote');
    const watched = await watching;
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/PAUSED[\s\S]*refreshing every 0.05s[\s\S]*SUCCEEDED/);
    const bad = await cli(['rollout', 'start', 'fraud', 'production', '1.0.0', '--strategy', 'canary']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/needs --steps/);
  });
});
