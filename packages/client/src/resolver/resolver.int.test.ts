import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Test-only reach into the server package: the real API on SQLite, served on loopback.
import { startHarness, type Harness } from '../../../server/src/testing/api-harness.ts';
import { StewardClient } from '../client.ts';
import { createResolver } from './resolver.ts';

let h: Harness;
let server: ReturnType<typeof serve>;
let url: string;

beforeAll(async () => {
  h = await startHarness('sqlite::memory:');
  server = await new Promise((resolve) => {
    const s = serve({ fetch: h.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await h.call('POST', 'models', { json: { name: 'ranker' } });
  await h.push('ranker', '1.0.0', { 'model.onnx': 'a' });
  await h.push('ranker', '2.0.0', { 'model.onnx': 'b', 'variants/int8/model.onnx': 'b8' });
  await h.call('PUT', 'models/ranker/channels/production', { json: { version: '1.0.0' } });
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await h.close();
});

describe('createResolver (in-process, cached table)', () => {
  it('gives the same decisions as GET /resolve and polls with If-None-Match', async () => {
    let requests = 0;
    let notModified = 0;
    const counting = async (input: string, init?: RequestInit) => {
      requests++;
      const res = await fetch(input, init);
      if (res.status === 304) notModified++;
      return res;
    };
    const client = new StewardClient({ url, token: h.admin });
    const r = await createResolver({ url, token: h.admin, model: 'ranker', channel: 'production', refreshMs: 0, fetch: counting });
    expect(r.resolve('u1')).toEqual({ version: '1.0.0', variant: 'default', arm: 'stable' });
    expect(await r.refresh()).toBe(false);
    expect(notModified).toBe(1);

    await client.rollouts.start('ranker', 'production', { version: '2.0.0', steps: [{ weight: 30 }, { pause: null }], platformVariants: { android: 'int8' }, constraints: [{ attribute: 'tier', op: 'in', value: ['gold'] }] });
    expect(await r.refresh()).toBe(true);
    for (let i = 0; i < 60; i++) {
      const ctx = { platform: i % 2 ? 'android' : 'web', attributes: { tier: i % 3 ? 'gold' : 'free' } };
      const local = r.resolve(`user-${i}`, ctx);
      const remote = await client.resolve('ranker', 'production', `user-${i}`, ctx);
      expect(local).toEqual({ version: remote.version, variant: remote.variant, arm: remote.arm });
    }
    expect(requests).toBe(3); // initial fetch, one 304, one changed table
  });
});
