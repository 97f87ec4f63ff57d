import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// Test-only reach into the client package's fake server (not part of its public exports).
import { startFakeServer } from '../../client/src/testing/fake-server.ts';
import { runCaptured } from './testing/run-captured.ts';

let fake: Awaited<ReturnType<typeof startFakeServer>>;
let dir: string;

beforeEach(async () => {
  fake = await startFakeServer();
  dir = await mkdtemp(join(tmpdir(), 'steward-cli-'));
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI in-process with captured output; `tty` makes stdin look like a terminal fed with `input`. */
async function cli(argv: string[], opts: { env?: Record<string, string>; input?: string; tty?: boolean } = {}) {
  const env = { STEWARD_URL: fake.url, STEWARD_TOKEN: fake.state.token, STEWARD_HOME: join(dir, 'home'), ...opts.env };
  return runCaptured(argv, { env, cwd: dir, ...(opts.input !== undefined ? { input: opts.input } : {}), ...(opts.tty !== undefined ? { tty: opts.tty } : {}) });
}

async function pushTwo(): Promise<void> {
  await writeFile(join(dir, 'model.bin'), 'v1');
  expect((await cli(['model', 'create', 'acme/fraud', '--tag', 'team=risk'])).code).toBe(0);
  expect((await cli(['push', 'acme/fraud', '1.0.0', 'model.bin', '--metric', 'f1=0.9'])).code).toBe(0);
  await writeFile(join(dir, 'model.bin'), 'v2');
  expect((await cli(['push', 'acme/fraud', '1.1.0', 'model.bin', '--parent', '1.0.0', '--relation', 'retrain'])).code).toBe(0);
}

describe('steward CLI (in-process, against a fake server)', () => {
  it('creates and lists models, with --json anywhere on the line', async () => {
    const created = await cli(['model', 'create', 'fraud', '--description', 'card fraud', '--tag', 'team=risk']);
    expect(created).toMatchObject({ code: 0, stdout: 'created model fraud\n', stderr: '' });
    const listed = await cli(['model', 'list', '--json']);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ name: 'fraud', tags: { team: 'risk' } }]);
    const human = await cli(['model', 'list']);
    expect(human.stdout).toMatch(/^NAME\s+LATEST\s+VERSIONS/);
    expect(human.stdout).toContain('card fraud');
  });

  it('pushes with parsed metadata, pulls, verifies and shows', async () => {
    await mkdir(join(dir, 'tok'));
    await writeFile(join(dir, 'tok', 'vocab.json'), '{}');
    await writeFile(join(dir, 'm.onnx'), 'weights');
    await writeFile(join(dir, 'train.csv'), 'a,b\n1,2\n');
    await writeFile(join(dir, 'schema.json'), '{"input":{"type":"object"},"output":{"type":"number"}}');
    await cli(['model', 'create', 'fraud']);
    const pushed = await cli([
      '--json', 'push', 'fraud', '1.0.0', 'm.onnx', 'tok/', '--param', 'lr=0.01', '--param', 'opt=adam', '--metric', 'f1=0.93',
      '--dataset', 'train=train.csv', '--upload-datasets', '--schema', 'schema.json', '--depends', 'tokenizer@^2',
    ]);
    expect(pushed.code).toBe(0);
    expect(pushed.stderr).toBe(''); // no progress bars when stderr is not a TTY
    const v = JSON.parse(pushed.stdout);
    expect(v).toMatchObject({
      version: '1.0.0', params: { lr: 0.01, opt: 'adam' }, metrics: { f1: 0.93 }, dependencies: { tokenizer: '^2' },
      inputSchema: { type: 'object' }, outputSchema: { type: 'number' }, datasets: [{ name: 'train', size: 8, uploaded: true }],
    });
    expect(v.files.map((f: { path: string }) => f.path)).toEqual(['m.onnx', 'tok/vocab.json']);
    expect(fake.state.blobs.has(v.datasets[0].sha256)).toBe(true);

    const pulled = await cli(['pull', 'fraud@latest', '-o', 'out']);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain('pulled fraud@1.0.0 into out: 2 downloaded');
    expect(await readFile(join(dir, 'out', 'tok', 'vocab.json'), 'utf8')).toBe('{}');
    expect((await cli(['verify', 'fraud@1.0.0', 'out'])).code).toBe(0);
    await writeFile(join(dir, 'out', 'm.onnx'), 'tampered');
    const bad = await cli(['verify', 'fraud@1.0.0', 'out']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('mismatched  m.onnx');
    expect(bad.stderr).toMatch(/^error: out does not match fraud@1.0.0: 1 difference\(s\) \(verify_failed\)\n$/);

    const shown = await cli(['show', 'fraud@1.0.0']);
    expect(shown.stdout).toContain('metrics:      f1=0.93');
    expect(shown.stdout).toMatch(/tok\/vocab\.json\s+2 B/);
  });

  it('moves channels and rolls back only with confirmation', async () => {
    await pushTwo();
    await cli(['channel', 'set', 'acme/fraud', 'production', '1.0.0', '--reason', 'first']);
    const set = await cli(['channel', 'set', 'acme/fraud', 'production', '1.1.0']);
    expect(set.stdout).toMatch(/^production: 1\.1\.0 \(seq 2/);

    const refused = await cli(['rollback', 'acme/fraud', 'production']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('production: 1.1.0 -> 1.0.0\n');
    expect(refused.stderr).toMatch(/^error: refusing to roll back acme\/fraud production without confirmation: not a terminal, pass --yes\n$/);

    const declined = await cli(['rollback', 'acme/fraud', 'production'], { tty: true, input: 'n\n' });
    expect(declined.code).toBe(0);
    expect(fake.state.channels.get('acme/fraud/production')?.table.stable).toBe('1.1.0');

    const confirmed = await cli(['rollback', 'acme/fraud', 'production', '--reason', 'f1 drop'], { tty: true, input: 'y\n' });
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toContain('rolled back acme/fraud production: 1.1.0 -> 1.0.0');
    expect(fake.state.channels.get('acme/fraud/production')?.table.stable).toBe('1.0.0');

    const history = await cli(['channel', 'history', 'acme/fraud', 'production', '--json']);
    expect(JSON.parse(history.stdout).map((e: { kind: string }) => e.kind)).toEqual(['rollback', 'set', 'set']);
    const ver = await cli(['versions', 'acme/fraud', '--limit', '1', '--json']);
    expect(JSON.parse(ver.stdout).map((x: { version: string }) => x.version)).toEqual(['1.0.0']);
  });

  it('prints one error line with the server code, exit 1; usage errors exit 2', async () => {
    const missing = await cli(['model', 'show', 'nope']);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'error: model nope not found (model_not_found)\n' });
    const usage = await cli(['push', 'x', '1.0.0', 'a', '--metric', 'f1=high']);
    expect(usage).toMatchObject({ code: 2, stderr: 'error: metric f1 must be a number, got "high"\n' });
    expect((await cli(['no-such-command'])).code).toBe(2);
    expect((await cli(['--help'])).code).toBe(0);
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });

  it('says how to fix an unreachable server', async () => {
    const down = await startFakeServer();
    await down.close();
    const res = await cli(['whoami'], { env: { STEWARD_URL: down.url } });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`error: cannot reach Steward at ${down.url}: is \`steward serve\` running? (unreachable)\n`);
  });

  it('reads the admin token from the data directory only for loopback URLs', async () => {
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', 'admin.token'), `${fake.state.token}\n`);
    const ok = await cli(['whoami'], { env: { STEWARD_TOKEN: '', STEWARD_DATA: 'data' } });
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('admin (admin');
    const noFile = await cli(['whoami'], { env: { STEWARD_TOKEN: '', STEWARD_DATA: 'elsewhere' } });
    expect(noFile.stderr).toContain('(unauthorized)');
  });
});
