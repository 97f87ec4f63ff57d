import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StewardError } from '@steward/core';
import { StewardClient, paginate } from './client.ts';
import { StewardApiError, StewardUnreachableError } from './errors.ts';
import { startFakeServer } from './testing/fake-server.ts';

let fake: Awaited<ReturnType<typeof startFakeServer>>;
let client: StewardClient;
beforeAll(async () => {
  fake = await startFakeServer();
  client = new StewardClient({ url: `${fake.url}/`, token: fake.state.token });
});
afterAll(() => fake.close());

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

describe('StewardClient against a fake server', () => {
  it('creates, reads and patches models; org/name travels as one encoded segment', async () => {
    const m = await client.models.create({ name: 'acme/fraud', tags: { team: 'risk', old: 'x' } });
    expect(m).toMatchObject({ name: 'acme/fraud', latest: null });
    expect(fake.state.log).toContain('POST /models');
    await client.models.get('acme/fraud');
    expect(fake.state.log.at(-1)).toBe('GET /models/acme%2Ffraud');
    const patched = await client.models.update('acme/fraud', { description: 'd', tags: { old: null, owner: 'ana' } });
    expect(patched.tags).toEqual({ team: 'risk', owner: 'ana' });
  });

  it('throws StewardApiError with the server code, status, message and details', async () => {
    const err = await client.models.create({ name: 'acme/fraud' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StewardApiError);
    expect(err).toBeInstanceOf(StewardError);
    expect(err).toMatchObject({ status: 409, code: 'model_exists', message: 'model acme/fraud exists' });

    const draft = await client.drafts.create('acme/fraud', { version: '1.0.0' });
    const missing = await client.drafts.attach('acme/fraud', draft.id, [{ path: 'a', sha256: sha('nope'), size: 4 }]).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'blob_missing', status: 409, details: { missing: [sha('nope')] } });
  });

  it('rejects a bad token as unauthorized', async () => {
    const anon = new StewardClient({ url: fake.url, token: 'wrong' });
    await expect(anon.whoami()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('reports an unreachable server distinctly', async () => {
    const closed = await startFakeServer();
    await closed.close();
    const c = new StewardClient({ url: closed.url, token: 't' });
    const err = await c.whoami().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StewardUnreachableError);
    expect(err).toMatchObject({ code: 'unreachable', url: closed.url });
  });

  it('streams blobs up from a Node Readable and down with a range', async () => {
    const bytes = Buffer.from('0123456789'.repeat(1000));
    const digest = sha(bytes);
    expect(await client.blobs.head(digest)).toBeNull();
    const seen: number[] = [];
    const put = await client.blobs.put(digest, Readable.from([bytes.subarray(0, 4000), bytes.subarray(4000)]), {
      size: bytes.length,
      onProgress: (n) => seen.push(n),
    });
    expect(put).toEqual({ sha256: digest, size: 10000, created: true });
    expect(seen.at(-1)).toBe(10000);
    expect(await client.blobs.head(digest)).toBe(10000);
    const part = await client.blobs.get(digest, { range: { start: 5, end: 9 } });
    expect(part.status).toBe(206);
    expect(await new Response(part.body).text()).toBe('56789');
    expect(part.sha256).toBe(digest);
  });

  it('surfaces the server refusing bytes that do not hash to the digest', async () => {
    const bad = client.blobs.put(sha('other'), new TextEncoder().encode('hello'), { size: 5 });
    await expect(bad).rejects.toMatchObject({ code: 'digest_mismatch', status: 422 });
  });

  it('walks cursor pages', async () => {
    await client.models.create({ name: 'paged' });
    const blob = new TextEncoder().encode('x');
    await client.blobs.put(sha(blob), blob, { size: 1 });
    for (const v of ['1.0.0', '1.1.0', '2.0.0']) {
      const d = await client.drafts.create('paged', { version: v });
      await client.drafts.attach('paged', d.id, [{ path: 'x', sha256: sha(blob), size: 1 }]);
      await client.drafts.commit('paged', d.id);
    }
    const all: string[] = [];
    for await (const v of paginate((cursor) => client.versions.list('paged', { limit: 2, cursor }))) all.push(v.version);
    expect(all).toEqual(['1.0.0', '1.1.0', '2.0.0']);
    expect(fake.state.log.filter((l) => l.startsWith('GET /models/paged/versions')).length).toBe(2);
  });
});
