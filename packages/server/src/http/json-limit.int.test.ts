import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../server.ts';

/**
 * The JSON body limit over a real socket (@hono/node-server): a declared Content-Length is judged
 * from the header, a chunked body by counting it; either way a body over the limit is a 413.
 */
describe('JSON body limit over HTTP', () => {
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'steward-json-limit-'));
    server = await startServer({ port: 0, dataDir: join(dir, 'data'), quiet: true, jsonLimit: 1000 }, {});
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** POST /api/v1/models with `body`, sent with a Content-Length or chunked. */
  const post = (body: string, chunked: boolean) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' };
      if (!chunked) headers['content-length'] = String(Buffer.byteLength(body));
      const req = http.request(`${server.url}/api/v1/models`, { method: 'POST', headers }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
      });
      req.on('error', reject);
      if (chunked) for (let i = 0; i < body.length; i += 100) req.write(body.slice(i, i + 100));
      req.end(chunked ? undefined : body);
    });
  const big = JSON.stringify({ name: 'big', description: 'x'.repeat(2000) });

  for (const chunked of [false, true]) {
    const how = chunked ? 'chunked' : 'with a Content-Length';
    it(`refuses a body over the limit sent ${how}`, async () => {
      const r = await post(big, chunked);
      expect(r.status, r.body).toBe(413);
      expect(JSON.parse(r.body).error.code).toBe('payload_too_large');
    });
    it(`accepts and parses a body under the limit sent ${how}`, async () => {
      const r = await post(JSON.stringify({ name: `small-${chunked ? 'c' : 'l'}` }), chunked);
      expect(r.status, r.body).toBe(201);
      expect(JSON.parse(r.body).name).toBe(`small-${chunked ? 'c' : 'l'}`);
    });
  }
});
