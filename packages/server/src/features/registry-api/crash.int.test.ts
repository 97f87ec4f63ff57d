import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../../testing/child-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'steward-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const api = (url: string, token: string) => async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${url}/api/v1/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, data: res.status === 204 ? null : await res.json().catch(() => null) };
};

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk(join(d, e.name)) : out.push(join(d, e.name)));
  };
  walk(root);
  return out;
}

describe('a server killed with SIGKILL in the middle of a push', () => {
  it('leaves no visible version and no corrupt object, and the push succeeds after restart', async () => {
    const first = await spawnServer(dir);
    const call = api(first.url, first.token);
    expect((await call('POST', 'models', { name: 'big' })).status).toBe(201);
    // One committed version that must survive the kill intact.
    const small = randomBytes(1000);
    const smallSha = createHash('sha256').update(small).digest('hex');
    await fetch(`${first.url}/api/v1/blobs/${smallSha}`, { method: 'PUT', headers: { authorization: `Bearer ${first.token}`, 'content-length': '1000' }, body: small });
    const d0 = await call('POST', 'models/big/drafts', { version: '0.1.0' });
    await call('PUT', `models/big/drafts/${d0.data.id}/files`, { files: [{ path: 'w.bin', sha256: smallSha, size: 1000 }] });
    expect((await call('POST', `models/big/drafts/${d0.data.id}/commit`)).status).toBe(201);

    const draft = await call('POST', 'models/big/drafts', { version: '1.0.0' });
    expect(draft.status).toBe(201);
    const payload = randomBytes(8 * 1024 * 1024);
    const digest = createHash('sha256').update(payload).digest('hex');
    // Stream half the body, then kill the server while the upload is in flight.
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        if (sent >= payload.length / 2) {
          await first.kill();
          ctrl.error(new Error('stop'));
          return;
        }
        ctrl.enqueue(payload.subarray(sent, sent + 256 * 1024));
        sent += 256 * 1024;
        await new Promise((r) => setTimeout(r, 5));
      },
    });
    await fetch(`${first.url}/api/v1/blobs/${digest}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${first.token}`, 'content-length': String(payload.length) },
      body,
      duplex: 'half',
    } as RequestInit).catch(() => undefined);
    await first.kill();

    const second = await spawnServer(dir);
    try {
      const call2 = api(second.url, second.token);
      expect((await call2('GET', 'models/big/versions/1.0.0')).status).toBe(404);
      expect((await call2('GET', 'models/big/versions')).data.items.map((v: { version: string }) => v.version)).toEqual(['0.1.0']);
      expect((await fetch(`${second.url}/api/v1/blobs/${digest}`, { method: 'HEAD', headers: { authorization: `Bearer ${second.token}` } })).status).toBe(404);
      // No object under the final blob key: a partial write only ever lived in the temp area.
      const objects = listFiles(join(dir, 'objects')).filter((f) => !f.includes(`${join('objects', '.tmp')}`));
      expect(objects.some((f) => f.endsWith(digest))).toBe(false);
      const kept = await fetch(`${second.url}/api/v1/models/big/versions/0.1.0/files/w.bin`, { headers: { authorization: `Bearer ${second.token}` } });
      expect(Buffer.from(await kept.arrayBuffer()).equals(small)).toBe(true);

      // The interrupted push can simply be done again.
      const put = await fetch(`${second.url}/api/v1/blobs/${digest}`, { method: 'PUT', headers: { authorization: `Bearer ${second.token}`, 'content-length': String(payload.length) }, body: payload });
      expect(put.status).toBe(201);
      const d2 = await call2('POST', 'models/big/drafts', { version: '1.0.0' });
      await call2('PUT', `models/big/drafts/${d2.data.id}/files`, { files: [{ path: 'w.bin', sha256: digest, size: payload.length }] });
      expect((await call2('POST', `models/big/drafts/${d2.data.id}/commit`)).status).toBe(201);
    } finally {
      await second.kill();
    }
  });
});
