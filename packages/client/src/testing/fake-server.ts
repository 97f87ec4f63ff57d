/**
 * A small in-memory Steward server (node:http) implementing the routes the client and CLI tests
 * exercise, with real hashing and real Ed25519 signatures. A fake, not a mock: tests talk HTTP to it.
 * Test-only; not exported from the package.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildManifest, canonicalJson } from '@steward/core';
import { chunkRoutes, type FakeChunkState } from './fake-chunk-routes.ts';
import type { Channel, ChannelEvent, Draft, Model, Version, VersionInput } from '../types.ts';

export interface FakeState extends FakeChunkState {
  token: string;
  models: Map<string, Model>;
  blobs: Map<string, Buffer>;
  drafts: Map<string, Draft & { model: string; input: VersionInput }>;
  versions: Map<string, Version>; // key `${model}@${version}`
  channels: Map<string, Channel>; // key `${model}/${channel}`
  events: ChannelEvent[];
  /** Every request as `METHOD /path` (without /api/v1). */
  log: string[];
  privateKey: KeyObject;
  publicKeyPem: string;
  keyId: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, p: string[], body: () => Promise<Buffer>, q: URLSearchParams) => Promise<void> | void;

const send = (res: ServerResponse, status: number, body?: unknown): void => {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
};
const fail = (res: ServerResponse, status: number, code: string, message: string, details?: unknown): void =>
  send(res, status, { error: { code, message, details } });
const now = (): string => new Date().toISOString();
const cmpSemver = (a: string, b: string): number => {
  const pa = a.split(/[.-]/).map(Number);
  const pb = b.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
};

export async function startFakeServer(opts: { token?: string; /** false: no chunk API (an older server). */ chunks?: boolean } = {}): Promise<{ url: string; state: FakeState; close: () => Promise<void> }> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const state: FakeState = {
    token: opts.token ?? 'secret-admin',
    models: new Map(),
    blobs: new Map(),
    chunks: new Map(),
    recipes: new Map(),
    uploadsAccepted: 0,
    fetchesServed: 0,
    fetchedBytes: 0,
    fetchedWireBytes: 0,
    pendingRecipes: new Map(),
    drafts: new Map(),
    versions: new Map(),
    channels: new Map(),
    events: [],
    log: [],
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: 'k1',
  };
  const server = createServer((req, res) => {
    void handle(state, req, res, opts).catch((err: unknown) => fail(res, 500, 'internal', String(err)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, state, close: () => new Promise((r) => {
    server.close(() => r());
    server.closeAllConnections(); // torn test answers must not hold close() until keep-alive times out
  }) };
}

async function handle(s: FakeState, req: IncomingMessage, res: ServerResponse, opts: { chunks?: boolean }): Promise<void> {
  const u = new URL(req.url ?? '/', 'http://x');
  const path = u.pathname.replace(/^\/api\/v1/, '');
  s.log.push(`${req.method} ${path}`);
  if (req.headers.authorization !== `Bearer ${s.token}`) return fail(res, 401, 'unauthorized', 'missing or invalid token');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const body = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const json = async <T>(): Promise<T> => JSON.parse((await body()).toString() || '{}') as T;
  const [a, name, b, c, d] = parts;
  const m = req.method;
  if (a === 'keys') return send(res, 200, { keyId: s.keyId, publicKey: s.publicKeyPem });
  if (a === 'whoami') return send(res, 200, { id: 't1', name: 'admin', role: 'admin' });
  if (opts.chunks !== false && (a === 'chunks' || (a === 'blobs' && b === 'recipe')) && (await chunkRoutes(s, req, res, parts, body, send, fail))) return;
  if (a === 'blobs' && name && !b) return blobs(s, req, res, name, body);
  if (a !== 'models') return fail(res, 404, 'not_found', `no route ${path}`);
  if (!name) {
    if (m === 'GET') return send(res, 200, { items: [...s.models.values()], nextCursor: null });
    const input = await json<{ name: string; description?: string; tags?: Record<string, string> }>();
    if (s.models.has(input.name)) return fail(res, 409, 'model_exists', `model ${input.name} exists`);
    const model: Model = { name: input.name, description: input.description ?? '', tags: input.tags ?? {}, archived: false, createdAt: now(), updatedAt: now(), latest: null, versionCount: 0 };
    s.models.set(model.name, model);
    return send(res, 201, model);
  }
  const model = s.models.get(name);
  if (!model) return fail(res, 404, 'model_not_found', `model ${name} not found`);
  if (!b) {
    if (m === 'PATCH') {
      const patch = await json<{ description?: string; tags?: Record<string, string | null>; archived?: boolean }>();
      if (patch.description !== undefined) model.description = patch.description;
      if (patch.archived !== undefined) model.archived = patch.archived;
      for (const [k, v] of Object.entries(patch.tags ?? {})) if (v === null) delete model.tags[k]; else model.tags[k] = v;
    }
    return send(res, 200, model);
  }
  if (b === 'drafts') return drafts(s, req, res, model, c, d, json);
  if (b === 'versions') return versions(s, req, res, model, c, parts.slice(4), u.searchParams);
  if (b === 'channels') return channels(s, req, res, model, c, d, json);
  return fail(res, 404, 'not_found', `no route ${path}`);
}

async function blobs(s: FakeState, req: IncomingMessage, res: ServerResponse, sha: string, body: () => Promise<Buffer>): Promise<void> {
  const blob = s.blobs.get(sha);
  if (req.method === 'HEAD') {
    res.writeHead(blob ? 200 : 404, blob ? { 'content-length': String(blob.length) } : {});
    return void res.end();
  }
  if (req.method === 'PUT') {
    const bytes = await body();
    if (String(bytes.length) !== req.headers['content-length']) return fail(res, 400, 'truncated_upload', 'length mismatch');
    if (createHash('sha256').update(bytes).digest('hex') !== sha) return fail(res, 422, 'digest_mismatch', 'digest mismatch');
    s.blobs.set(sha, bytes);
    return send(res, blob ? 200 : 201, { sha256: sha, size: bytes.length, created: !blob });
  }
  if (!blob) return fail(res, 404, 'blob_not_found', 'no such blob');
  return sendBytes(req, res, blob, sha);
}

function sendBytes(req: IncomingMessage, res: ServerResponse, bytes: Buffer, sha: string): void {
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range) {
    const start = Number(range[1]);
    const end = range[2] ? Number(range[2]) : bytes.length - 1;
    res.writeHead(206, { etag: `"${sha}"`, 'content-range': `bytes ${start}-${end}/${bytes.length}` });
    return void res.end(bytes.subarray(start, end + 1));
  }
  res.writeHead(200, { etag: `"${sha}"`, 'content-length': String(bytes.length) });
  res.end(bytes);
}

type Json = <T>() => Promise<T>;

async function drafts(s: FakeState, req: IncomingMessage, res: ServerResponse, model: Model, id: string | undefined, action: string | undefined, json: Json): Promise<void> {
  if (!id) {
    const input = await json<VersionInput>();
    if (s.versions.has(`${model.name}@${input.version}`)) return fail(res, 409, 'version_exists', `${model.name}@${input.version} exists`);
    const draft = { id: `d${s.drafts.size + 1}`, version: input.version, files: [], expiresAt: now(), model: model.name, input };
    s.drafts.set(draft.id, draft);
    return send(res, 201, { id: draft.id, version: draft.version, files: [], expiresAt: draft.expiresAt });
  }
  const draft = s.drafts.get(id);
  if (!draft) return fail(res, 404, 'draft_not_found', 'no such draft');
  if (req.method === 'DELETE') {
    s.drafts.delete(id);
    return send(res, 204);
  }
  if (action === 'files') {
    const { files } = await json<{ files: Draft['files'] }>();
    const missing = files.filter((f) => !s.blobs.has(f.sha256)).map((f) => f.sha256);
    if (missing.length) return fail(res, 409, 'blob_missing', 'blobs missing', { missing });
    for (const f of files) draft.files = [...draft.files.filter((x) => x.path !== f.path), f];
    return send(res, 200, { id, version: draft.version, files: draft.files, expiresAt: draft.expiresAt });
  }
  // commit
  const files = [...draft.files].sort((x, y) => (x.path < y.path ? -1 : 1));
  const i = draft.input;
  const at = now();
  const manifest = buildManifest({
    model: model.name,
    version: draft.version,
    files,
    params: i.params ?? {},
    metrics: i.metrics ?? {},
    datasets: (i.datasets ?? []).map(({ name, sha256, size }) => ({ name, sha256, size })),
    inputSchema: i.inputSchema ?? null,
    outputSchema: i.outputSchema ?? null,
    dependencies: i.dependencies ?? {},
    parent: i.parent ?? null,
    relation: i.relation ?? null,
    author: 'admin',
    committedAt: at,
  });
  const signature = sign(null, Buffer.from(canonicalJson(manifest)), s.privateKey).toString('base64');
  const version: Version = {
    ...manifest,
    state: 'committed',
    description: i.description ?? '',
    tags: i.tags ?? {},
    datasets: i.datasets ?? [],
    relation: i.relation ?? null,
    createdAt: at,
    manifest,
    signature,
    keyId: s.keyId,
  };
  s.versions.set(`${model.name}@${version.version}`, version);
  s.drafts.delete(id);
  model.versionCount++;
  if (!version.version.includes('-') && (!model.latest || cmpSemver(version.version, model.latest) > 0)) model.latest = version.version;
  return send(res, 201, version);
}

function versions(s: FakeState, req: IncomingMessage, res: ServerResponse, model: Model, ref: string | undefined, rest: string[], q: URLSearchParams): void {
  const all = [...s.versions.values()].filter((v) => v.model === model.name).sort((x, y) => cmpSemver(x.version, y.version));
  if (!ref) {
    const limit = Number(q.get('limit') ?? 50);
    const start = Number(q.get('cursor') ?? 0);
    const items = all.slice(start, start + limit);
    return send(res, 200, { items, nextCursor: start + limit < all.length ? String(start + limit) : null });
  }
  const channel = s.channels.get(`${model.name}/${ref}`);
  const resolved = ref === 'latest' ? model.latest : channel ? channel.table.stable : ref;
  const v = resolved ? s.versions.get(`${model.name}@${resolved}`) : undefined;
  if (!v) return fail(res, 404, 'version_not_found', `${model.name}@${ref} not found`);
  if (rest[0] !== 'files') return send(res, 200, v);
  const path = rest.slice(1).join('/');
  const f = v.files.find((x) => x.path === path);
  const bytes = f && s.blobs.get(f.sha256);
  if (!f || !bytes) return fail(res, 404, 'file_not_found', `no file ${path}`);
  return sendBytes(req, res, bytes, f.sha256);
}

async function channels(s: FakeState, req: IncomingMessage, res: ServerResponse, model: Model, name: string | undefined, action: string | undefined, json: Json): Promise<void> {
  if (!name) return send(res, 200, { items: [...s.channels.values()].filter((c) => c.model === model.name) });
  const key = `${model.name}/${name}`;
  const ch = s.channels.get(key);
  const history = s.events.filter((e) => e.model === model.name && e.channel === name).reverse();
  const move = (to: string, kind: 'set' | 'rollback', reason: string): ChannelEvent => {
    const next: Channel = { model: model.name, name, table: { stable: to }, seq: (ch?.seq ?? 0) + 1, updatedAt: now(), updatedBy: 'admin' };
    const ev: ChannelEvent = { id: `e${s.events.length + 1}`, seq: next.seq, model: model.name, channel: name, kind, from: ch?.table ?? null, to: next.table, author: 'admin', reason, at: now() };
    s.channels.set(key, next);
    s.events.push(ev);
    return ev;
  };
  if (req.method === 'PUT') {
    const body = await json<{ version: string; reason?: string }>();
    if (!s.versions.has(`${model.name}@${body.version}`)) return fail(res, 404, 'version_not_found', `${model.name}@${body.version} not found`);
    move(body.version, 'set', body.reason ?? '');
    return send(res, 200, s.channels.get(key));
  }
  if (!ch) return fail(res, 404, 'channel_not_found', `channel ${name} not found`);
  if (action === 'history') return send(res, 200, { items: history, nextCursor: null });
  if (action === 'rollback') {
    const body = await json<{ to?: string; reason?: string; dryRun?: boolean }>();
    const to = body.to ?? history.map((e) => e.from?.stable).find((v) => v && v !== ch.table.stable);
    if (!to) return fail(res, 409, 'nothing_to_roll_back', 'no previous stable version');
    if (body.dryRun) return send(res, 200, { from: ch.table, to: { stable: to }, applied: false });
    const event = move(to, 'rollback', body.reason ?? '');
    return send(res, 200, { from: event.from, to: event.to, applied: true, event });
  }
  return send(res, 200, ch);
}
