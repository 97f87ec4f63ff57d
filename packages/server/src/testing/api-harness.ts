import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type AppDeps } from '../app.ts';
import { openDb } from '../db/connect.ts';
import { loadOrCreateSigningKey } from '../features/keys/signing-key.ts';
import { createFileObjectStore } from '../storage/object-store.fs.ts';
import { responseContracts } from './response-contract.ts';

export const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

export interface CallOptions {
  /** Default: the admin token; null sends none. */
  token?: string | null;
  json?: unknown;
  body?: Uint8Array | string;
  headers?: Record<string, string>;
}

/**
 * `call('GET', 'models')` → `/api/v1/models` through `app.request`, JSON parsed when it is JSON.
 * With `contract` (see response-contract.ts), every 2xx JSON answer must match its route's schema.
 */
export function apiCaller(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  defaultToken: string,
  contract?: ReturnType<typeof responseContracts>,
) {
  return async (method: string, path: string, opts: CallOptions = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const token = opts.token === undefined ? defaultToken : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: BodyInit | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body !== undefined) {
      body = opts.body as BodyInit;
    }
    const url = path.startsWith('/') ? path : `/api/v1/${path}`;
    const res = await app.request(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let data: any = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    contract?.(method, url, res.status, res.headers.get('content-type'), data);
    return { status: res.status, data, headers: res.headers, text };
  };
}

/** A real app (real database, real file store) driven through `app.request`, no socket. */
export async function startHarness(dbUrl: string, opts: Pick<AppDeps, 'storage'> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'steward-api-'));
  const db = await openDb(dbUrl);
  const objects = createFileObjectStore(join(dir, 'objects'));
  const signingKey = loadOrCreateSigningKey(dir);
  const logged: unknown[] = [];
  const { app, api, services } = createApp({ db, objects, signingKey, auth: true, log: (_m, e) => logged.push(e), ...opts });
  const admin = (await services.tokens.bootstrapAdmin())!;

  const call = apiCaller(app, admin, responseContracts(api));

  /** Upload bytes, create a draft, attach, commit: the whole push as the CLI does it. */
  const push = async (model: string, version: string, files: Record<string, string | Uint8Array>, meta: Record<string, unknown> = {}, token?: string) => {
    const draft = await call('POST', `models/${encodeURIComponent(model)}/drafts`, { json: { version, ...meta }, ...(token ? { token } : {}) });
    if (draft.status !== 201) return draft;
    const entries = [];
    for (const [path, content] of Object.entries(files)) {
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      const digest = sha256(bytes);
      const up = await call('PUT', `blobs/${digest}`, { body: bytes, headers: { 'content-length': String(bytes.length) }, ...(token ? { token } : {}) });
      if (up.status >= 300) return up;
      entries.push({ path, sha256: digest, size: bytes.length });
    }
    const att = await call('PUT', `models/${encodeURIComponent(model)}/drafts/${draft.data.id}/files`, { json: { files: entries }, ...(token ? { token } : {}) });
    if (att.status !== 200) return att;
    return call('POST', `models/${encodeURIComponent(model)}/drafts/${draft.data.id}/commit`, { ...(token ? { token } : {}) });
  };

  return {
    app,
    services,
    db,
    objects,
    signingKey,
    admin,
    call,
    push,
    logged,
    dir,
    async close() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;
