import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { testDbTargets } from '../../testing/test-dbs.ts';
import { signBody } from './external-gates.ts';
import { adultFixture, pushDataset } from './gates-fixture.ts';

const SECRET = 'test-webhook-secret';

/** A local webhook: checks the HMAC, answers per `mode`, counts deliveries. */
function webhookServer() {
  const state = { mode: 'pass' as 'pass' | 'fail' | 'flaky' | 'slow' | 'garbage', hits: 0, badSignatures: 0, lastBody: null as unknown };
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const c of req) body += c;
    state.hits++;
    if (req.headers['x-steward-signature'] !== signBody(SECRET, body)) {
      state.badSignatures++;
      res.writeHead(401).end('{"error":"bad signature"}');
      return;
    }
    state.lastBody = JSON.parse(body);
    if (state.mode === 'flaky' && state.hits < 3) return void res.writeHead(503).end('busy');
    if (state.mode === 'slow') return void setTimeout(() => res.writeHead(200).end('{"pass":true}'), 2000);
    if (state.mode === 'garbage') return void res.writeHead(200).end('not json');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pass: state.mode !== 'fail', value: 0.97, message: `verdict ${state.mode}` }));
  });
  return { server, state };
}

const target = testDbTargets()[0]!; // these gates touch no SQL of their own: SQLite is enough
describe('command, webhook, size and latency gates', () => {
  let h: Harness;
  let cleanup: () => Promise<void>;
  const hook = webhookServer();
  let hookUrl: string;
  const fx = adultFixture(500);
  const validate = async (yaml: string) => {
    expect((await h.call('PUT', 'models/ext/policy', { json: { yaml } })).status).toBe(200);
    return (await h.call('POST', 'models/ext/versions/1.0.0/validations', { json: { channel: 'prod' } })).data;
  };

  beforeAll(async () => {
    process.env.STEWARD_TEST_HOOK_SECRET = SECRET;
    const t = await target.create!();
    cleanup = t.cleanup;
    h = await startHarness(t.url);
    await new Promise<void>((r) => hook.server.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(hook.server.address() as AddressInfo).port}/verdict`;
    await h.call('POST', 'models', { json: { name: 'ext' } });
    expect((await h.push('ext', '1.0.0', { 'model.onnx': fx.good, 'int8/model.onnx': fx.weak })).status).toBe(201);
    expect((await pushDataset(h, 'adult-small', '1', fx.csv, { label: 'income', sensitive: ['sex'] })).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    hook.server.close();
    delete process.env.STEWARD_TEST_HOOK_SECRET;
    await h?.close();
    await cleanup?.();
  });

  it('runs a command with the model dir and dataset in its environment and reads its verdict', async () => {
    const script = 'test -f "$STEWARD_MODEL_DIR/model.onnx" && test -f "$STEWARD_MODEL_DIR/int8/model.onnx" && n=$(wc -l < "$STEWARD_DATASET") && echo "{\\"pass\\": true, \\"value\\": $n, \\"message\\": \\"$STEWARD_MODEL@$STEWARD_VERSION on $STEWARD_CHANNEL\\"}"';
    const r = await validate(`channels:\n  prod:\n    gates:\n      - type: command\n        name: smoke\n        run: ${JSON.stringify(script)}\n        dataset: adult-small@1\n`);
    expect(r.gates[0]).toMatchObject({ gate: 'smoke', status: 'pass', value: fx.rows + 1, message: 'ext@1.0.0 on prod' });
  });

  it('maps a failing verdict to fail, and a crash, bad output or timeout to error', async () => {
    const gates = [
      `      - type: command\n        run: "echo '{\\"pass\\": false, \\"message\\": \\"too slow\\"}'"`,
      `      - type: command\n        run: "exit 3"`,
      `      - type: command\n        run: "echo hello"`,
      `      - type: command\n        run: "sleep 5"\n        timeoutMs: 300`,
      `      - type: command\n        run: ["/nonexistent/binary"]`,
    ];
    const t0 = Date.now();
    const r = await validate(`channels:\n  prod:\n    gates:\n${gates.join('\n')}\n`);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(r.gates.map((g: { status: string }) => g.status)).toEqual(['fail', 'error', 'error', 'error', 'error']);
    expect(r.gates[1].message).toMatch(/exited with 3/);
    expect(r.gates[3].message).toMatch(/timed out after 300 ms/);
    expect(r.status).toBe('fail');
  });

  it('signs webhook deliveries with HMAC-SHA256 and retries 5xx answers', async () => {
    const policy = (extra = '') => `channels:\n  prod:\n    gates:\n      - type: webhook\n        url: ${hookUrl}\n        secretEnv: STEWARD_TEST_HOOK_SECRET\n        timeoutMs: 500\n${extra}`;
    hook.state.mode = 'pass';
    const ok = await validate(policy());
    expect(ok.gates[0]).toMatchObject({ status: 'pass', value: 0.97 });
    expect(hook.state.badSignatures).toBe(0);
    expect(hook.state.lastBody).toMatchObject({ model: 'ext', version: '1.0.0', channel: 'prod' });

    hook.state.mode = 'flaky';
    hook.state.hits = 0;
    const flaky = await validate(policy('        retries: 3\n'));
    expect(flaky.gates[0].status).toBe('pass');
    expect(hook.state.hits).toBe(3);

    hook.state.mode = 'fail';
    expect((await validate(policy())).gates[0].status).toBe('fail');
    hook.state.mode = 'slow';
    const slow = await validate(policy('        retries: 1\n'));
    expect(slow.gates[0].status).toBe('error');
    expect(slow.gates[0].message).toMatch(/timeout/);
    hook.state.mode = 'garbage';
    expect((await validate(policy())).gates[0].status).toBe('error');
  });

  it('errors when the webhook secret is not configured or the receiver rejects the signature', async () => {
    const r = await validate(`channels:\n  prod:\n    gates:\n      - type: webhook\n        url: ${hookUrl}\n        secretEnv: STEWARD_NO_SUCH_SECRET\n`);
    expect(r.gates[0]).toMatchObject({ status: 'error' });
    expect(r.gates[0].message).toMatch(/STEWARD_NO_SUCH_SECRET/);
  });

  it('checks size budgets per variant and the p95 latency of built-in inference', async () => {
    const total = fx.good.length + fx.weak.length;
    const r = await validate(
      `channels:\n  prod:\n    gates:\n      - type: size\n        maxBytes: ${total}\n      - type: size\n        maxBytes: ${fx.weak.length - 1}\n        variant: int8\n        platform: android\n      - type: latency\n        dataset: adult-small@1\n        rows: 200\n        p95Ms: 1000\n      - type: latency\n        dataset: adult-small@1\n        rows: 50\n        p95Ms: 0.000001\n`,
    );
    expect(r.gates.map((g: { status: string }) => g.status)).toEqual(['pass', 'fail', 'pass', 'fail']);
    expect(r.gates[0].value).toBe(total);
    expect(r.gates[1].value).toBe(fx.weak.length);
    expect(r.gates[2].evidence.calls).toBe(200);
    expect(r.gates[2].value).toBeGreaterThan(0);
  });
});
