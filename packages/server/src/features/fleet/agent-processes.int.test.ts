import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { afterAll, describe, expect, it } from 'vitest';
import { tableAt } from '@steward/core';
import { createApp } from '../../app.ts';
import { openDb } from '../../db/connect.ts';
import { createFileObjectStore } from '../../storage/object-store.fs.ts';
import { loadOrCreateSigningKey } from '../keys/signing-key.ts';
import { sha256 } from '../../testing/api-harness.ts';

const CHILD = fileURLToPath(new URL('./agent-child.ts', import.meta.url));

/**
 * Two real agent processes (real clock, 200 ms blocks, real pulls with signature and digest
 * checks) against a real server socket, through a quorum transition and a rollback.
 */
describe('real agent processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'steward-procs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serve every request with the table in force at its submitted block', async () => {
    const db = await openDb(`sqlite:${join(dir, 'db.sqlite')}`);
    const { app, services } = createApp({
      db,
      objects: createFileObjectStore(join(dir, 'objects')),
      signingKey: loadOrCreateSigningKey(dir),
      auth: true,
      blockIntervalMs: 200,
      fleet: { heartbeatBurst: 100, heartbeatPerSecond: 100, livenessTtlMs: 2000, rollbackDelay: 5, activationDelay: 10 },
    });
    const admin = (await services.tokens.bootstrapAdmin())!;
    const server = await new Promise<ReturnType<typeof serve>>((r) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => r(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const call = async (method: string, path: string, body?: unknown, raw?: Uint8Array) => {
      const res = await fetch(`${url}/api/v1/${path}`, { method, headers: { authorization: `Bearer ${admin}`, ...(raw ? { 'content-length': String(raw.length) } : { 'content-type': 'application/json' }) }, ...(raw ? { body: raw as BodyInit } : body ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
      return text ? JSON.parse(text) : null;
    };
    try {
      await services.chain.start();
      await services.fleet.start();
      await call('POST', 'models', { name: 'proc' });
      for (const v of ['1.0.0', '1.1.0']) {
        const bytes = new TextEncoder().encode(`proc ${v}`);
        const d = await call('POST', 'models/proc/drafts', { version: v });
        await call('PUT', `blobs/${sha256(bytes)}`, undefined, bytes);
        await call('PUT', `models/proc/drafts/${d.id}/files`, { files: [{ path: 'model.onnx', sha256: sha256(bytes), size: bytes.length }] });
        await call('POST', `models/proc/drafts/${d.id}/commit`);
      }
      await call('PUT', 'models/proc/channels/prod', { version: '1.0.0' });
      const token = (await call('POST', 'tokens', { name: 'procs', role: 'node' })).token as string;
      const children = [0, 1].map((i) => spawn(process.execPath, ['--import', 'tsx', CHILD, url, token, `proc-${i}`, join(dir, `agent-${i}`)], { stdio: ['pipe', 'pipe', 'inherit'] }));
      const outputs = children.map((child) => {
        let out = '';
        child.stdout!.on('data', (d) => (out += d));
        return new Promise<string>((resolve) => child.on('exit', () => resolve(out)));
      });
      /** Polls until `ok` holds (the machine may be slow: no fixed sleeps). */
      const until = async (ok: () => Promise<boolean>) => {
        while (!(await ok())) await new Promise((r) => setTimeout(r, 100));
      };
      const inForce = (version: string) => async () => {
        const { currentBlock, items } = await call('GET', 'models/proc/transitions');
        const s = (items as { state: string; usableFromBlock: number; table: { stable: string } }[]).filter((r) => r.state === 'scheduled' && r.usableFromBlock <= currentBlock);
        return s.sort((a, b) => a.usableFromBlock - b.usableFromBlock).at(-1)?.table.stable === version;
      };
      await until(async () => (await call('GET', 'nodes?model=proc')).items.length === 2); // both agents up, serving 1.0.0
      await new Promise((r) => setTimeout(r, 500));
      await call('PUT', 'models/proc/channels/prod', { version: '1.1.0' });
      await until(inForce('1.1.0')); // quorum + 10 blocks
      await new Promise((r) => setTimeout(r, 800));
      await call('POST', 'models/proc/channels/prod/rollback', { to: '1.0.0', reason: 'test' });
      const rows0 = (await call('GET', 'models/proc/transitions')).items as { state: string }[];
      expect(rows0.filter((r) => r.state === 'scheduled')).toHaveLength(3);
      await new Promise((r) => setTimeout(r, 100));
      await until(async () => (await inForce('1.0.0')()) && (await call('GET', 'chain/head')).currentBlock > 0);
      await new Promise((r) => setTimeout(r, 600));
      for (const c of children) c.stdin!.end();
      const lines = (await Promise.all(outputs)).flatMap((o) => o.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { block?: number; version?: string; output?: string; error?: string }));
      const rows = (await call('GET', 'models/proc/transitions')).items as { state: string; usableFromBlock: number; table: { stable: string } }[];
      const history = rows.filter((r) => r.state === 'scheduled').sort((a, b) => a.usableFromBlock - b.usableFromBlock);
      expect(history.map((r) => r.table.stable)).toEqual(['1.0.0', '1.1.0', '1.0.0']);
      const served = lines.filter((l) => l.version !== undefined);
      expect(served.length).toBeGreaterThan(100);
      expect(served.filter((l) => l.output !== l.version || tableAt(history, l.block!)?.stable !== l.version)).toEqual([]);
      expect(new Set(served.map((l) => l.version))).toEqual(new Set(['1.0.0', '1.1.0']));
      expect(lines.filter((l) => l.error).length).toBeLessThan(served.length / 20);
    } finally {
      await services.fleet.stop();
      await services.chain.stop();
      await new Promise<void>((r) => server.close(() => r()));
      await db.close();
    }
  }, 60_000);
});
