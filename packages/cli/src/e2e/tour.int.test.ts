// The README tour, command by command, through the real `steward` bin against a real server
// started with `steward serve` (the admin token is found in ./.steward, as on a fresh machine).
import { spawn, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServe } from '../testing/serve-process.ts';

const bin = fileURLToPath(new URL('../../bin/steward.js', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'steward-tour-'));
// As in the README: the server runs in the repo, the tour in its demo/ subdirectory (the CLI finds
// ../.steward/admin.token by walking up).
const demo = join(dir, 'demo');
let url = '';
let server: ReturnType<typeof spawn> | undefined;

const env = () => ({ ...process.env, STEWARD_URL: url, STEWARD_TOKEN: '', STEWARD_HOME: join(dir, 'home') });
async function steward(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const p = run(process.execPath, [bin, ...args], { cwd: demo, env: env() });
    if (input !== undefined) p.child.stdin?.end(input);
    const { stdout, stderr } = await p;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  const started = await spawnServe(bin, dir);
  server = started.child;
  url = started.url;
  expect(started.stderr()).toMatch(/created the first admin token/);
  mkdirSync(join(demo, 'tokenizer'), { recursive: true });
  writeFileSync(join(demo, 'model.onnx'), 'weights v1');
  writeFileSync(join(demo, 'tokenizer', 'vocab.json'), '{"hello":1}');
  writeFileSync(join(demo, 'train.csv'), 'a,b\n1,2\n');
});
afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the README tour', () => {
  it('stores the admin token with mode 0600 in ./.steward', () => {
    expect(statSync(join(dir, '.steward', 'admin.token')).mode & 0o777).toBe(0o600);
  });

  it('runs end to end', async () => {
    expect((await steward(['model', 'create', 'fraud', '--description', 'card fraud scorer'])).code).toBe(0);
    const p1 = await steward(['push', 'fraud', '1.0.0', './model.onnx', './tokenizer/', '--param', 'lr=0.01', '--metric', 'f1=0.91', '--dataset', 'train=./train.csv', '--tag', 'team=risk']);
    expect(p1.code, p1.stderr).toBe(0);
    writeFileSync(join(demo, 'model.onnx'), 'weights v2');
    const p2 = await steward(['push', 'fraud', '1.1.0', './model.onnx', '--parent', '1.0.0', '--relation', 'retrain', '--metric', 'f1=0.93']);
    expect(p2.code, p2.stderr).toBe(0);
    const dup = await steward(['push', 'fraud', '1.1.0', './model.onnx']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);
    expect(dup.stderr.trim().split('\n')).toHaveLength(1);

    const list = await steward(['versions', 'fraud', '--filter', 'metrics.f1>=0.92', '--json']);
    expect(JSON.parse(list.stdout).map((v: { version: string }) => v.version)).toEqual(['1.1.0']);
    const cmp = await steward(['compare', 'fraud@1.0.0', 'fraud@1.1.0', '--json']);
    expect(JSON.parse(cmp.stdout).lineage.bDescendsFromA).toBe(true);
    expect((await steward(['channel', 'set', 'fraud', 'production', '1.1.0', '--reason', 'better f1'])).code).toBe(0);

    const pull = await steward(['pull', 'fraud@production', '-o', './deploy']);
    expect(pull.code, pull.stderr).toBe(0);
    expect(readFileSync(join(demo, 'deploy', 'model.onnx'), 'utf8')).toBe('weights v2');
    expect((await steward(['verify', 'fraud@1.1.0', './deploy'])).code).toBe(0);
    writeFileSync(join(demo, 'deploy', 'model.onnx'), 'tampered!!');
    const bad = await steward(['verify', 'fraud@1.1.0', './deploy']);
    expect(bad.code).not.toBe(0);

    await steward(['channel', 'set', 'fraud', 'production', '1.0.0']);
    await steward(['channel', 'set', 'fraud', 'production', '1.1.0']);
    const hist = await steward(['channel', 'history', 'fraud', 'production', '--json']);
    expect(JSON.parse(hist.stdout)).toHaveLength(3);
    const refused = await steward(['rollback', 'fraud', 'production']);
    expect(refused.code).not.toBe(0); // no TTY and no --yes: refuses rather than guessing
    const rb = await steward(['rollback', 'fraud', 'production', '--yes']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout + rb.stderr).toMatch(/1\.1\.0.*1\.0\.0/);
    const show = await steward(['show', 'fraud@1.1.0', '--json']);
    const v = JSON.parse(show.stdout);
    expect(v.version).toBe('1.1.0');
    expect(v.parent).toBe('1.0.0');
    expect((await steward(['channel', 'get', 'fraud', 'production', '--json'])).stdout).toMatch(/"stable": "1.0.0"/);
  }, 240_000); // ~25 CLI processes, each starting Node + tsx

  it('prints one clear line and a non-zero exit for bad input', async () => {
    const r = await steward(['push', 'fraud', 'not-semver', './model.onnx']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*invalid version/);
    const gone = await steward(['whoami'], undefined);
    expect(gone.code).toBe(0);
    const unreachable = await run(process.execPath, [bin, 'whoami', '--url', 'http://127.0.0.1:9'], { cwd: demo }).catch((e) => e);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach Steward/);
  }, 60_000);

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server!.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
