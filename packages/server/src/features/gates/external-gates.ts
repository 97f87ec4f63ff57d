import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { GateSpec } from '../policy/policy.types.ts';
import { errored, fail, pass, type GateContext, type Verdict } from './gate-types.ts';

type Spec<T extends GateSpec['type']> = Extract<GateSpec, { type: T }>;
const MAX_OUTPUT = 1024 * 1024;

/** A verdict as external checks send it: `{ "pass": true, "value"?: …, "threshold"?: …, "message"?: "…" }`. */
export function parseExternalVerdict(text: string, source: string): Verdict {
  let v: unknown;
  try {
    v = JSON.parse(text.trim());
  } catch {
    return errored(`${source} did not answer a JSON verdict`, { output: text.slice(0, 500) });
  }
  const o = v as { pass?: unknown; value?: unknown; threshold?: unknown; message?: unknown };
  if (!o || typeof o !== 'object' || typeof o.pass !== 'boolean') return errored(`${source} verdict lacks a boolean "pass"`, { output: text.slice(0, 500) });
  const message = typeof o.message === 'string' ? o.message.slice(0, 1000) : o.pass ? 'passed' : 'failed';
  return (o.pass ? pass : fail)(message, o.value ?? null, o.threshold ?? null, { source });
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of stream) parts.push(p);
  return Buffer.concat(parts);
}

/**
 * Runs a command with the version's files materialized in a temp dir. Environment:
 * STEWARD_MODEL, STEWARD_VERSION, STEWARD_CHANNEL, STEWARD_MODEL_DIR and, with `dataset`,
 * STEWARD_DATASET (file path) and STEWARD_DATASET_FORMAT. Reads a JSON verdict from stdout.
 * A non-zero exit, a timeout or unparsable output is `error`.
 */
export async function commandGate(ctx: GateContext, spec: Spec<'command'>): Promise<Verdict> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-gate-'));
  try {
    const modelDir = join(dir, 'model');
    for (const f of ctx.version.files) {
      const target = join(modelDir, f.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, await readAll((await ctx.blobs.open(f.sha256)).stream as AsyncIterable<Uint8Array>));
    }
    const env: Record<string, string> = {
      PATH: ctx.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      STEWARD_MODEL: ctx.model,
      STEWARD_VERSION: ctx.version.version,
      STEWARD_CHANNEL: ctx.channel,
      STEWARD_MODEL_DIR: modelDir,
    };
    if (spec.dataset) {
      const { dataset } = await ctx.datasets.load(spec.dataset);
      const file = join(dir, `dataset.${dataset.format}`);
      await writeFile(file, await readAll((await ctx.blobs.open(dataset.sha256)).stream as AsyncIterable<Uint8Array>));
      Object.assign(env, { STEWARD_DATASET: file, STEWARD_DATASET_FORMAT: dataset.format, STEWARD_DATASET_LABEL: dataset.schema.label });
    }
    const [cmd, ...args] = typeof spec.run === 'string' ? ['/bin/sh', '-c', spec.run] : spec.run;
    const res = await runProcess(cmd!, args, { cwd: dir, env, timeoutMs: spec.timeoutMs });
    const evidence = { exitCode: res.code, signal: res.signal, stderr: res.stderr.slice(-2000) };
    if (res.timedOut) return errored(`command timed out after ${spec.timeoutMs} ms`, evidence);
    if (res.spawnError) return errored(`command could not start: ${res.spawnError}`, evidence);
    if (res.code !== 0) return errored(`command exited with ${res.code ?? res.signal}`, evidence);
    const v = parseExternalVerdict(res.stdout, 'command');
    return { ...v, evidence: { ...v.evidence, ...evidence } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface ProcessResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  spawnError?: string;
}

function runProcess(cmd: string, args: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<ProcessResult> {
  return new Promise((resolve) => {
    // detached: own process group, so a timeout kills the command and anything it started.
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => void (stdout.length < MAX_OUTPUT && (stdout += d.toString())));
    child.stderr.on('data', (d: Buffer) => void (stderr.length < MAX_OUTPUT && (stderr += d.toString())));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr, timedOut, spawnError: err.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Signature header value: `sha256=` + hex HMAC-SHA256 of the exact body bytes. */
export const signBody = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/**
 * POSTs `{ model, version, channel, files, metrics, params }` with `X-Steward-Signature` and
 * expects a JSON verdict. Retries on network errors, timeouts and 5xx (not on 4xx), with a short
 * backoff; when every attempt fails the gate is `error`.
 */
export async function webhookGate(ctx: GateContext, spec: Spec<'webhook'>, fetchImpl: typeof fetch = fetch): Promise<Verdict> {
  const secret = ctx.env[spec.secretEnv];
  if (!secret) return errored(`server environment variable ${spec.secretEnv} (the webhook secret) is not set`);
  const v = ctx.version;
  const body = JSON.stringify({ model: ctx.model, version: v.version, channel: ctx.channel, files: v.files, metrics: v.metrics, params: v.params, baseline: ctx.baseline?.version ?? null });
  const attempts: string[] = [];
  for (let i = 0; i <= spec.retries; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** i)));
    try {
      const res = await fetchImpl(spec.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-steward-signature': signBody(secret, body), 'x-steward-delivery': `${ctx.model}@${v.version}/${ctx.channel}` },
        body,
        signal: AbortSignal.timeout(spec.timeoutMs),
      });
      const text = await res.text();
      if (res.status >= 500) {
        attempts.push(`HTTP ${res.status}`);
        continue;
      }
      if (!res.ok) return errored(`webhook answered HTTP ${res.status}`, { attempts: [...attempts, `HTTP ${res.status}`], body: text.slice(0, 500) });
      const verdict = parseExternalVerdict(text, 'webhook');
      return { ...verdict, evidence: { ...verdict.evidence, attempts: attempts.length + 1 } };
    } catch (err) {
      attempts.push((err as Error).name === 'TimeoutError' ? `timeout after ${spec.timeoutMs} ms` : (err as Error).message);
    }
  }
  return errored(`webhook failed after ${attempts.length} attempt(s): ${attempts[attempts.length - 1]}`, { attempts });
}
