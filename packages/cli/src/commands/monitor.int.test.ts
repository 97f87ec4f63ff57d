import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// A real server in-process (test-only reach into the server package).
import { startServer, type RunningServer } from '../../../server/src/server.ts';
import { runCaptured } from '../testing/run-captured.ts';

let server: RunningServer;
let hook: Server;
let hookUrl: string;
const received: Array<{ body: string; signature: string | undefined }> = [];
let dir: string;

async function cli(argv: string[]) {
  return runCaptured(argv, { env: { STEWARD_URL: server.url, STEWARD_TOKEN: server.adminToken! }, cwd: dir });
}

const api = (method: string, path: string, body?: unknown) =>
  fetch(`${server.url}/api/v1/${path}`, { method, headers: { authorization: `Bearer ${server.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });

describe('steward monitor / drift / fairness / rules / labels against a real server', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-monitor-cli-'));
    process.env.STEWARD_TEST_HOOK_SECRET = 's3cret';
    server = await startServer({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), quiet: true }, {});
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ body, signature: req.headers['x-steward-signature'] as string | undefined });
        res.writeHead(received.length === 1 ? 503 : 200).end(); // first attempt fails: the retry must deliver
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((r) => hook?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('sends events, reads windows, drift and fairness, and runs rules with a signed webhook and a label queue', async () => {
    expect((await cli(['model', 'create', 'm'])).code).toBe(0);
    const draft = await (await api('POST', 'models/m/drafts', { version: '1.0.0' })).json() as { id: string };
    const bytes = 'weights';
    const digest = createHash('sha256').update(bytes).digest('hex');
    await fetch(`${server.url}/api/v1/blobs/${digest}`, { method: 'PUT', headers: { authorization: `Bearer ${server.adminToken}`, 'content-length': '7' }, body: bytes });
    await api('PUT', `models/m/drafts/${draft.id}/files`, { files: [{ path: 'model.bin', sha256: digest, size: 7 }] });
    const commit = await api('POST', `models/m/drafts/${draft.id}/commit`);
    expect(commit.status, await commit.clone().text()).toBe(201);
    const t = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000).toISOString();
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({
      model: 'm', version: '1.0.0', requestId: `r${i}`, time: t, features: { x: (i % 10) + 5, c: i % 2 ? 'a' : 'b' },
      score: (i % 10) / 10 + 0.05, groups: { sex: i % 3 ? 'M' : 'F' },
    }));
    lines.push('{"model":"m","version":"9.9.9","requestId":"bad"}');
    await writeFile(join(dir, 'events.ndjson'), lines.join('\n'));
    const sent = await cli(['events', 'events.ndjson']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout.trim()).toBe('accepted 200, rejected 1 (unknown_version=1)');

    const mon = await cli(['monitor', 'm@1.0.0', '--window', '1m', '--since', '1h', '--json']);
    expect(mon.code, mon.stderr).toBe(0);
    expect(JSON.parse(mon.stdout)[0].metrics.count).toBe(200);
    expect((await cli(['monitor', 'm', '--window', '1h'])).stdout).toMatch(/^WINDOW\s+VERSION\s+COUNT/);

    await writeFile(join(dir, 'ref.csv'), ['x,c,y,p', ...Array.from({ length: 400 }, (_, i) => `${i % 10},${i % 2 ? 'a' : 'b'},${i % 2},${i % 2 ? 0.7 : 0.3}`)].join('\n'));
    const ref = await cli(['reference', 'm@1.0.0', '--file', 'ref.csv', '--label', 'y', '--score', 'p']);
    expect(ref.code, ref.stderr).toBe(0);
    const drift = await cli(['drift', 'm@1.0.0', '--since', '1h']);
    expect(drift.code, drift.stderr).toBe(0);
    expect(drift.stdout).toMatch(/^x\s+ks\s+.*DRIFT$/m); // x moved by +5
    expect(drift.stdout).toMatch(/^c\s+z\s+.*ok$/m);
    const fair = await cli(['fairness', 'm@1.0.0', '--attr', 'sex', '--since', '1h', '--min-group-size', '10']);
    expect(fair.code, fair.stderr).toBe(0);
    expect(fair.stdout).toMatch(/demographic parity difference \d/);
    expect((await cli(['drift', 'm'])).code).toBe(2); // usage: needs a version

    await cli(['channel', 'set', 'm', 'production', '1.0.0']);
    await writeFile(join(dir, 'rules.yaml'), [
      'rules:',
      '  - name: busy',
      '    when: count >= 100 and drift.x',
      `    webhook: ${hookUrl}`,
      '    secretEnv: STEWARD_TEST_HOOK_SECRET',
      '    do: notify',
      '  - name: ask-labels',
      '    when: count >= 100',
      '    do: queue-labels',
      '    labels: { count: 5, method: margin }',
    ].join('\n'));
    expect((await cli(['rules', 'set', 'm', 'rules.yaml'])).stdout).toMatch(/2 rule\(s\) set/);
    const check = await cli(['rules', 'check', 'm', '--json']);
    expect(check.code, check.stderr).toBe(0);
    const outcomes = JSON.parse(check.stdout).outcomes;
    expect(outcomes.map((o: { fired: boolean }) => o.fired)).toEqual([true, true]);
    expect(received).toHaveLength(2);
    const last = received[1]!;
    expect(last.signature).toBe(`sha256=${createHmac('sha256', 's3cret').update(last.body).digest('hex')}`);
    expect(JSON.parse(last.body)).toMatchObject({ event: 'maintenance.notify', rule: 'busy', model: 'm', version: '1.0.0' });
    expect((await cli(['rules', 'deliveries', 'm'])).stdout).toMatch(/busy\s+http.*delivered\s+2/);
    expect((await cli(['rules', 'get', 'm'])).stdout).toMatch(/busy.*waiting to clear/);

    expect((await cli(['labels', 'export', 'm', '--out', 'queue.ndjson'])).code).toBe(0);
    const queued = (await readFile(join(dir, 'queue.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(queued).toHaveLength(5);
    // Margin sampling picks the scores closest to 0.5.
    for (const q of queued) expect(Math.abs(q.score - 0.5)).toBeLessThanOrEqual(0.15);
    await writeFile(join(dir, 'labels.ndjson'), queued.map((q) => JSON.stringify({ requestId: q.requestId, label: 1 })).join('\n'));
    const imp = await cli(['labels', 'import', 'm', 'labels.ndjson']);
    expect(imp.stdout.trim()).toBe('accepted 5, rejected 0');
    const after = JSON.parse((await cli(['monitor', 'm@1.0.0', '--window', '1m', '--since', '1h', '--json'])).stdout);
    expect(after[0].metrics.labelled).toBe(5);
  }, 60_000);
});
