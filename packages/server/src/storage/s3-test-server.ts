import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** A throwaway S3-compatible server (moto) for integration tests. */
export interface S3TestServer {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Kills the server (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
}

const MOTO = 'moto_server';
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last resort if a test run exits without calling stop(): never leave moto behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, sig); // the pyenv shim and python share this process group
  } catch {
    try {
      child.kill(sig);
    } catch {
      /* already gone */
    }
  }
}

/** True when `moto_server` is an executable somewhere on PATH. */
export function isMotoServerOnPath(): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, MOTO), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, rejectPort) => {
    const srv = createServer();
    srv.once('error', rejectPort);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolvePort(addr.port) : rejectPort(new Error('no port'))));
    });
  });
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`moto_server exited early:\n${log()}`);
    try {
      const res = await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms:\n${log()}`);
}

/**
 * Starts `moto_server` on a free port, waits for it, creates `bucket` and returns its endpoint.
 * Always pair with `stop()` in afterAll.
 */
export async function startS3TestServer(opts: { bucket?: string; timeoutMs?: number } = {}): Promise<S3TestServer> {
  const bucket = opts.bucket ?? 'steward-test';
  const region = 'us-east-1';
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(port)], {
    detached: true, // own process group, so stop() also reaches the python behind the shim
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  installExitHook();
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000); // keep the tail for diagnostics
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const spawnFailed = new Promise<never>((_, rej) => child.once('error', rej));
  spawnFailed.catch(() => {});

  const stop = async (): Promise<void> => {
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
    await Promise.race([exited, spawnFailed.catch(() => {})]);
    clearTimeout(timer);
    child.stderr?.destroy();
    live.delete(child);
  };

  try {
    await Promise.race([waitUntilAnswering(endpoint, child, () => stderr, opts.timeoutMs ?? 20_000), spawnFailed]);
    const client = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, bucket, region, credentials, stop };
}

/**
 * For test files: starts moto, or returns null with a visible warning when it is not installed —
 * unless STEWARD_REQUIRE_S3=1, where a missing or broken moto is an error.
 */
export async function startS3TestServerOrSkip(suite: string): Promise<S3TestServer | null> {
  const required = process.env.STEWARD_REQUIRE_S3 === '1';
  if (!isMotoServerOnPath()) {
    if (required) throw new Error(`${suite}: STEWARD_REQUIRE_S3=1 but ${MOTO} is not on PATH (pip install "moto[server]")`);
    console.warn(`[${suite}] SKIPPED: ${MOTO} not on PATH (pip install "moto[server]"; set STEWARD_REQUIRE_S3=1 to make this fail)`);
    return null;
  }
  try {
    return await startS3TestServer();
  } catch (err) {
    if (required) throw err;
    console.warn(`[${suite}] SKIPPED: could not start ${MOTO}: ${(err as Error).message}`);
    return null;
  }
}
