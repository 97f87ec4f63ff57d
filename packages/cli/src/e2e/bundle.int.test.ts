// The CLI bundle (scripts/build-bundle.mjs) that bin/steward.js runs when it is fresh, and the
// server bundle `steward serve` loads (packages/server/scripts/build-bundle.mjs): both built into
// temporary files here, then `serve`, a push, a pull and a verify go through them, as after `npm install`.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServe } from '../testing/serve-process.ts';
import { bundleIsFresh } from '../../../../scripts/bundle-freshness.mjs';

const script = fileURLToPath(new URL('../../scripts/build-bundle.mjs', import.meta.url));
const serverScript = fileURLToPath(new URL('../../../server/scripts/build-bundle.mjs', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'steward-bundle-'));
// Inside the package (dist/ is ignored by git) so its third-party imports resolve from node_modules.
const distDir = fileURLToPath(new URL('../../dist/', import.meta.url));
mkdirSync(distDir, { recursive: true });
const bundleDir = mkdtempSync(join(distDir, 'test-'));
const bundle = join(bundleDir, 'steward.mjs');
const serverDistDir = fileURLToPath(new URL('../../../server/dist/', import.meta.url));
mkdirSync(serverDistDir, { recursive: true });
const serverBundleDir = mkdtempSync(join(serverDistDir, 'test-'));
const serverBundle = join(serverBundleDir, 'server.mjs');
let serveStderr: () => string = () => '';
let url = '';
let server: ReturnType<typeof spawn> | undefined;

async function steward(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bundle, ...args], { cwd: dir, env: { ...process.env, STEWARD_URL: url, STEWARD_TOKEN: '' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  execFileSync(process.execPath, [script, bundle]);
  execFileSync(process.execPath, [serverScript, serverBundle]);
  const started = await spawnServe(bundle, dir, { ...process.env, STEWARD_DATA: '', STEWARD_SERVER_BUNDLE: serverBundle, STEWARD_SERVER_SOURCES: '' });
  server = started.child;
  url = started.url;
  serveStderr = started.stderr;
}, 120_000);
afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  rmSync(bundleDir, { recursive: true, force: true });
  rmSync(serverBundleDir, { recursive: true, force: true });
});

describe('the CLI bundle', () => {
  it('serves, pushes, pulls and verifies without the TypeScript loader in the CLI or the server', async () => {
    expect(serveStderr()).not.toContain('TypeScript sources');
    expect((await steward(['--version'])).stdout).toBe(JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')).version + '\n');
    writeFileSync(join(dir, 'model.bin'), Buffer.alloc(300_000, 7));
    expect((await steward(['model', 'create', 'tiny'])).code).toBe(0);
    const push = await steward(['push', 'tiny', '1.0.0', './model.bin']);
    expect(push.code, push.stderr).toBe(0);
    const pull = await steward(['pull', 'tiny@1.0.0', '-o', './out']);
    expect(pull.code, pull.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out', 'model.bin')).equals(Buffer.alloc(300_000, 7))).toBe(true);
    expect((await steward(['verify', 'tiny@1.0.0', './out'])).code).toBe(0);
    const bad = await steward(['show', 'nope@1.0.0']);
    expect([bad.code, bad.stderr.trim().split('\n').length]).toEqual([1, 1]);
  });

  it('counts as stale once any source file is newer than it', () => {
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a.ts'), '');
    const old = Date.now() / 1000 - 60;
    utimesSync(join(src, 'a.ts'), old, old);
    expect(bundleIsFresh(bundle, [src])).toBe(true);
    writeFileSync(join(src, 'a.ts'), 'edited');
    utimesSync(join(src, 'a.ts'), Date.now() / 1000 + 5, Date.now() / 1000 + 5);
    expect(bundleIsFresh(bundle, [src])).toBe(false);
    expect(bundleIsFresh(join(dir, 'missing.mjs'), [src])).toBe(false);
  });
});
