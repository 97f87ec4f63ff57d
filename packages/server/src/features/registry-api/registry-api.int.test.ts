import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { canonicalJson } from '@steward/core';
import { sha256, startHarness, type Harness } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';

describeEachDb('registry API', (db) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(db.url);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('creates, lists, updates and archives models', async () => {
    expect((await h.call('POST', 'models', { json: { name: 'fraud', description: 'card fraud scorer', tags: { team: 'risk' } } })).status).toBe(201);
    expect((await h.call('POST', 'models', { json: { name: 'acme/ranker' } })).status).toBe(201);
    const dup = await h.call('POST', 'models', { json: { name: 'fraud' } });
    expect(dup.status).toBe(409);
    expect(dup.data.error.code).toBe('model_exists');
    const got = await h.call('GET', `models/${encodeURIComponent('acme/ranker')}`);
    expect(got.status).toBe(200);
    expect(got.data.name).toBe('acme/ranker');
    const upd = await h.call('PATCH', 'models/fraud', { json: { tags: { team: null, owner: 'ana' }, description: 'v2' } });
    expect(upd.data.tags).toEqual({ owner: 'ana' });
    expect(upd.data.description).toBe('v2');
    await h.call('POST', 'models', { json: { name: 'old' } });
    await h.call('PATCH', 'models/old', { json: { archived: true } });
    const list = await h.call('GET', 'models');
    expect(list.data.items.map((m: { name: string }) => m.name)).toEqual(['acme/ranker', 'fraud']);
    const all = await h.call('GET', 'models?archived=true');
    expect(all.data.items).toHaveLength(3);
    const page1 = await h.call('GET', 'models?archived=true&limit=2');
    const page2 = await h.call('GET', `models?archived=true&limit=2&cursor=${page1.data.nextCursor}`);
    expect([...page1.data.items, ...page2.data.items].map((m: { name: string }) => m.name)).toEqual(['acme/ranker', 'fraud', 'old']);
    expect(page2.data.nextCursor).toBeNull();
  });

  it('pushes a version, refuses a second push of the same number, and serves files with Range and ETag', async () => {
    const model = 'weights-0123456789abcdef';
    const v = await h.push('fraud', '1.0.0', { 'model.onnx': model, 'tokenizer/vocab.json': '{"a":1}' }, { params: { lr: 0.01 }, metrics: { f1: 0.91 }, tags: { team: 'risk' } });
    expect(v.status).toBe(201);
    expect(v.data.files.map((f: { path: string }) => f.path)).toEqual(['model.onnx', 'tokenizer/vocab.json']);
    expect(v.data.author).toBe('admin');

    const again = await h.call('POST', 'models/fraud/drafts', { json: { version: '1.0.0' } });
    expect(again.status).toBe(409);
    expect(again.data.error.code).toBe('version_exists');
    expect(again.data.error.details.existing.version).toBe('1.0.0');

    const file = await h.call('GET', 'models/fraud/versions/1.0.0/files/model.onnx');
    expect(file.text).toBe(model);
    expect(file.headers.get('etag')).toBe(`"${sha256(model)}"`);
    const part = await h.call('GET', 'models/fraud/versions/1.0.0/files/model.onnx', { headers: { range: 'bytes=8-11' } });
    expect(part.status).toBe(206);
    expect(part.text).toBe(model.slice(8, 12));
    expect(part.headers.get('content-range')).toBe(`bytes 8-11/${model.length}`);
    const cached = await h.call('GET', 'models/fraud/versions/1.0.0/files/model.onnx', { headers: { 'if-none-match': `"${sha256(model)}"` } });
    expect(cached.status).toBe(304);
    const bad = await h.call('GET', 'models/fraud/versions/1.0.0/files/model.onnx', { headers: { range: 'bytes=999-' } });
    expect(bad.status).toBe(416);
  });

  it('signs the manifest with the server key', async () => {
    const v = (await h.call('GET', 'models/fraud/versions/1.0.0')).data;
    const key = (await h.call('GET', 'keys')).data;
    expect(v.keyId).toBe(key.keyId);
    const ok = verify(null, Buffer.from(canonicalJson(v.manifest)), createPublicKey(key.publicKey), Buffer.from(v.signature, 'base64'));
    expect(ok).toBe(true);
    const tampered = { ...v.manifest, metrics: { f1: 0.99 } };
    expect(verify(null, Buffer.from(canonicalJson(tampered)), createPublicKey(key.publicKey), Buffer.from(v.signature, 'base64'))).toBe(false);
    expect(v.manifest.files.find((f: { path: string }) => f.path === 'model.onnx').sha256).toBe(sha256('weights-0123456789abcdef'));
  });

  it('resolves latest, lineage and filters', async () => {
    expect((await h.push('fraud', '1.1.0', { 'model.onnx': 'w2' }, { parent: '1.0.0', relation: 'retrain', metrics: { f1: 0.93 } })).status).toBe(201);
    expect((await h.push('fraud', '2.0.0-rc.1', { 'model.onnx': 'w3' }, { metrics: { f1: 0.95 } })).status).toBe(201);
    expect((await h.call('GET', 'models/fraud/versions/latest')).data.version).toBe('1.1.0');
    const f = await h.call('GET', `models/fraud/versions?filter=${encodeURIComponent('metrics.f1>=0.92')}`);
    expect(f.data.items.map((v: { version: string }) => v.version)).toEqual(['2.0.0-rc.1', '1.1.0']);
    const r = await h.call('GET', `models/fraud/versions?range=${encodeURIComponent('^1.0.0')}&order=asc`);
    expect(r.data.items.map((v: { version: string }) => v.version)).toEqual(['1.0.0', '1.1.0']);
    const t = await h.call('GET', `models/fraud/versions?filter=${encodeURIComponent('tags.team=risk and params.lr<0.1')}`);
    expect(t.data.items.map((v: { version: string }) => v.version)).toEqual(['1.0.0']);
    const p1 = await h.call('GET', 'models/fraud/versions?limit=2');
    const p2 = await h.call('GET', `models/fraud/versions?limit=2&cursor=${p1.data.nextCursor}`);
    expect([...p1.data.items, ...p2.data.items].map((v: { version: string }) => v.version)).toEqual(['2.0.0-rc.1', '1.1.0', '1.0.0']);
    const cmp = await h.call('GET', 'models/fraud/compare?a=1.0.0&b=1.1.0');
    expect(cmp.data.metrics.find((m: { key: string }) => m.key === 'f1').delta).toBeCloseTo(0.02);
    expect(cmp.data.lineage.bDescendsFromA).toBe(true);
    expect(cmp.data.files.map((x: { path: string; status: string }) => `${x.path}:${x.status}`)).toEqual(['model.onnx:changed', 'tokenizer/vocab.json:removed']);
  });

  it('checks dependencies at commit', async () => {
    await h.call('POST', 'models', { json: { name: 'tokenizer' } });
    const bad = await h.push('fraud', '1.2.0', { m: 'x' }, { dependencies: { tokenizer: '^2.0.0' } });
    expect(bad.status).toBe(409);
    expect(bad.data.error.code).toBe('dependency_unresolved');
    await h.push('tokenizer', '2.1.0', { 'vocab.txt': 'abc' });
    expect((await h.push('fraud', '1.2.0', { m: 'x' }, { dependencies: { tokenizer: '^2.0.0' } })).status).toBe(201);
  });

  it('moves channels with history, time travel and rollback', async () => {
    const t0 = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    expect((await h.call('PUT', 'models/fraud/channels/production', { json: { version: '1.0.0', reason: 'first' } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5));
    const t1 = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const set = await h.call('PUT', 'models/fraud/channels/production', { json: { version: '1.1.0', reason: 'better f1' } });
    expect(set.data.table).toEqual({ stable: '1.1.0' });
    expect((await h.call('GET', 'models/fraud/versions/production')).data.version).toBe('1.1.0');
    const hist = await h.call('GET', 'models/fraud/channels/production/history');
    expect(hist.data.items.map((e: { from: { stable: string } | null; to: { stable: string } }) => `${e.from?.stable ?? '-'}>${e.to.stable}`)).toEqual(['1.0.0>1.1.0', '-~1.0.0'.replace('~', '>')]);
    expect(hist.data.items[0].reason).toBe('better f1');
    expect((await h.call('GET', `models/fraud/channels/production/at?time=${t1}`)).data.table.stable).toBe('1.0.0');
    expect((await h.call('GET', `models/fraud/channels/production/at?time=${t0}`)).status).toBe(404);
    const dry = await h.call('POST', 'models/fraud/channels/production/rollback', { json: { dryRun: true } });
    expect(dry.data).toMatchObject({ from: { stable: '1.1.0' }, to: { stable: '1.0.0' }, applied: false });
    expect((await h.call('GET', 'models/fraud/channels/production')).data.table.stable).toBe('1.1.0');
    const rb = await h.call('POST', 'models/fraud/channels/production/rollback', { json: {} });
    expect(rb.data.applied).toBe(true);
    expect((await h.call('GET', 'models/fraud/channels/production')).data.table.stable).toBe('1.0.0');
    // An explicit target (what the CLI sends after showing the change) must not deadlock.
    const to = await h.call('POST', 'models/fraud/channels/production/rollback', { json: { to: '1.1.0', reason: 'undo' } });
    expect(to.data.to.stable).toBe('1.1.0');
    expect((await h.call('POST', 'models/fraud/channels/production/rollback', { json: { to: '1.0.0' } })).data.applied).toBe(true);
    const none = await h.call('POST', 'models/fraud/channels/production/rollback', { json: {} });
    expect(none.data.error.code).toBe('nothing_to_roll_back');
    const hist2 = await h.call('GET', 'models/fraud/channels/production/history');
    expect(hist2.data.items).toHaveLength(5);
    expect(hist2.data.items[0].kind).toBe('rollback');
  });

  it('serializes concurrent channel writers without losing an event', async () => {
    const writes = Array.from({ length: 8 }, (_, i) => h.call('PUT', 'models/fraud/channels/racy', { json: { version: i % 2 ? '1.0.0' : '1.1.0' } }));
    const res = await Promise.all(writes);
    expect(res.every((r) => r.status === 200)).toBe(true);
    const hist = await h.call('GET', 'models/fraud/channels/racy/history?limit=100');
    expect(hist.data.items).toHaveLength(8);
    // Each event's `from` is exactly the previous event's `to`.
    const asc = [...hist.data.items].reverse();
    for (let i = 1; i < asc.length; i++) expect(asc[i].from).toEqual(asc[i - 1].to);
  });

  it('enforces roles and tokens', async () => {
    expect((await h.call('GET', 'models', { token: null })).status).toBe(401);
    expect((await h.call('GET', 'models', { token: 'stw_nope' })).data.error.code).toBe('unauthorized');
    const viewer = (await h.call('POST', 'tokens', { json: { name: 'ci-viewer', role: 'viewer' } })).data;
    expect(viewer.token).toMatch(/^stw_/);
    expect((await h.call('GET', 'models', { token: viewer.token })).status).toBe(200);
    const denied = await h.call('POST', 'models', { token: viewer.token, json: { name: 'nope' } });
    expect(denied.status).toBe(403);
    expect(denied.data.error.code).toBe('forbidden');
    const node = (await h.call('POST', 'tokens', { json: { name: 'edge-1', role: 'node' } })).data;
    expect((await h.call('GET', 'models/fraud/versions/1.0.0', { token: node.token })).status).toBe(200);
    expect((await h.call('PUT', 'models/fraud/channels/production', { token: node.token, json: { version: '1.1.0' } })).status).toBe(403);
    expect((await h.call('GET', 'tokens', { token: viewer.token })).status).toBe(403);
    const listed = await h.call('GET', 'tokens');
    expect(JSON.stringify(listed.data)).not.toContain(viewer.token);
    expect((await h.call('DELETE', `tokens/${viewer.id}`)).status).toBe(204);
    const revoked = await h.call('GET', 'models', { token: viewer.token });
    expect(revoked.status).toBe(401);
    expect(revoked.data.error.message).toMatch(/revoked/);
    expect((await h.call('GET', 'whoami')).data.role).toBe('admin');
  });

  it('answers bad input with a 4xx and a code, leaving nothing behind', async () => {
    const cases: [string, string, Record<string, unknown>, number, string][] = [
      ['POST', 'models', { body: '{"name":', headers: { 'content-type': 'application/json' } }, 400, 'malformed_json'],
      ['POST', 'models', { json: { name: 42 } }, 400, 'validation_failed'],
      ['POST', 'models', { json: { name: 'x', color: 'red' } }, 400, 'validation_failed'],
      ['POST', 'models', { json: { name: 'Bad Name' } }, 400, 'invalid_model_name'],
      ['POST', 'models/fraud/drafts', { json: { version: '1.0' } }, 400, 'invalid_version'],
      ['POST', 'models/nope/drafts', { json: { version: '1.0.0' } }, 404, 'model_not_found'],
      ['GET', 'models/fraud/versions/9.9.9', {}, 404, 'version_not_found'],
      ['POST', 'models/fraud/drafts', { json: { version: '3.0.0', metrics: { f1: 'high' } } }, 400, 'validation_failed'],
      ['POST', 'models/fraud/drafts', { json: { version: '3.0.0', description: 'x'.repeat(9000) } }, 400, 'validation_failed'],
      ['POST', 'models/fraud/drafts', { json: { version: '3.0.0', inputSchema: { blob: 'x'.repeat(300_000) } } }, 400, 'validation_failed'],
      ['POST', 'models/fraud/drafts', { json: { version: '3.0.0', inputSchema: { blob: 'x'.repeat(2_000_000) } } }, 413, 'payload_too_large'],
      ['GET', 'models/fraud/versions?filter=metrics.f1%3Ehigh', {}, 400, 'invalid_filter'],
      ['GET', 'models/fraud/versions?range=banana', {}, 400, 'invalid_range'],
      ['GET', 'models/fraud/versions?cursor=zzz', {}, 400, 'invalid_cursor'],
      ['PUT', 'models/fraud/channels/production', { json: { version: '7.7.7' } }, 404, 'version_not_found'],
      ['PUT', 'models/fraud/channels/Bad', { json: { version: '1.0.0' } }, 400, 'invalid_channel_name'],
      ['POST', 'tokens', { json: { name: 'x', role: 'god' } }, 400, 'validation_failed'],
    ];
    for (const [method, path, opts, status, code] of cases) {
      const r = await h.call(method, path, opts as never);
      expect({ path, status: r.status, code: r.data?.error?.code }).toEqual({ path, status, code });
      expect(typeof r.data.error.message).toBe('string');
    }
    const versions = await h.call('GET', 'models/fraud/versions?limit=100');
    expect(versions.data.items.some((v: { version: string }) => v.version === '3.0.0')).toBe(false);
  });

  it('rejects bad file paths, digest mismatches and truncated uploads without storing anything', async () => {
    const draft = (await h.call('POST', 'models/fraud/drafts', { json: { version: '4.0.0' } })).data;
    const good = sha256('ok');
    await h.call('PUT', `blobs/${good}`, { body: 'ok', headers: { 'content-length': '2' } });
    for (const path of ['../etc/passwd', '/abs', 'a\\b', 'a\u0000b', 'a/./b']) {
      const r = await h.call('PUT', `models/fraud/drafts/${draft.id}/files`, { json: { files: [{ path, sha256: good, size: 2 }] } });
      expect(r.status).toBe(400);
      expect(r.data.error.code).toBe('invalid_path');
    }
    const wrong = await h.call('PUT', `blobs/${sha256('expected')}`, { body: 'actual!!', headers: { 'content-length': '8' } });
    expect(wrong.status).toBe(422);
    expect(wrong.data.error.code).toBe('digest_mismatch');
    expect((await h.call('HEAD', `blobs/${sha256('expected')}`)).status).toBe(404);
    const short = await h.call('PUT', `blobs/${sha256('truncated body')}`, { body: 'truncated', headers: { 'content-length': '14' } });
    expect(short.status).toBeGreaterThanOrEqual(400);
    expect(short.status).toBeLessThan(500);
    expect((await h.call('HEAD', `blobs/${sha256('truncated body')}`)).status).toBe(404);
    const missing = await h.call('PUT', `models/fraud/drafts/${draft.id}/files`, { json: { files: [{ path: 'm', sha256: sha256('never uploaded'), size: 3 }] } });
    expect(missing.status).toBe(409);
    expect(missing.data.error.code).toBe('blob_missing');
    const empty = await h.call('POST', `models/fraud/drafts/${draft.id}/commit`);
    expect(empty.data.error.code).toBe('no_files');
    expect((await h.call('GET', 'models/fraud/versions/4.0.0')).status).toBe(404);
    const keys: string[] = [];
    for await (const o of h.objects.list('blobs/')) keys.push(o.key);
    expect(keys.some((k) => k.endsWith(sha256('expected')) || k.endsWith(sha256('truncated body')))).toBe(false);
  });

  it('serves health, metrics and the OpenAPI document', async () => {
    expect((await h.call('GET', '/healthz', { token: null })).status).toBe(200);
    expect((await h.call('GET', '/readyz', { token: null })).status).toBe(200);
    const m = await h.call('GET', '/metrics', { token: null });
    expect(m.text).toContain('steward_http_requests_total');
    expect(m.text).toContain('steward_http_bytes_in_total');
    const doc = await h.call('GET', '/openapi.json', { token: null });
    expect(doc.data.openapi).toBe('3.1.0');
    expect(Object.keys(doc.data.paths)).toEqual(expect.arrayContaining(['/models', '/models/{name}/drafts', '/blobs/{sha256}', '/models/{name}/channels/{channel}/rollback']));
    expect(h.logged).toEqual([]);
  });
});
