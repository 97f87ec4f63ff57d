import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { apiCaller } from './api-harness.ts';
import { responseContracts } from './response-contract.ts';

function appAnswering(body: unknown) {
  const api = new OpenAPIHono();
  const Thing = z.object({ id: z.string(), size: z.number() });
  api.openapi(
    createRoute({ method: 'get', path: '/things/{id}', request: { params: z.object({ id: z.string() }) }, responses: { 200: { content: { 'application/json': { schema: Thing } }, description: 'a thing' } } }),
    (c) => c.json(body as never, 200),
  );
  api.openapi(
    createRoute({ method: 'get', path: '/things/{id}/raw', request: { params: z.object({ id: z.string() }) }, responses: { 200: { content: { 'text/plain': { schema: z.string() } }, description: 'text' } } }),
    (c) => c.text('anything', 200),
  );
  const app = new OpenAPIHono();
  app.route('/api/v1', api);
  return apiCaller(app, 'token', responseContracts(api));
}

describe('response contracts', () => {
  it('passes answers that match the declared schema', async () => {
    const call = appAnswering({ id: 'a', size: 3 });
    expect((await call('GET', 'things/a')).data).toEqual({ id: 'a', size: 3 });
    expect((await call('GET', 'things/a/raw')).text).toBe('anything');
  });

  it('fails a call whose JSON answer drifted from its schema, naming the route and the field', async () => {
    const call = appAnswering({ id: 'a', size: 'three' });
    await expect(call('GET', 'things/a?x=1')).rejects.toThrow(/GET \/things\/\{id\} answered 200 .*size/);
  });

  it('leaves error answers and unknown routes alone', async () => {
    const call = appAnswering({ id: 'a', size: 'three' });
    expect((await call('GET', 'nothing/here')).status).toBe(404);
  });
});
