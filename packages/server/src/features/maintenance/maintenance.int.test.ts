import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { createMaintenanceService } from './maintenance.service.ts';
import { signBody, type FetchLike } from './webhook.ts';

const MIN = 60_000;

describeEachDb('maintenance rules: cooldown, hysteresis, webhook retries', (db) => {
  let h: Harness;
  const calls: Array<{ url: string; body: string; sig: string | null }> = [];
  let statuses: number[] = [];
  const fakeFetch: FetchLike = async (url, init) => {
    calls.push({ url, body: String(init.body), sig: (init.headers as Record<string, string>)['x-steward-signature'] ?? null });
    return new Response(null, { status: statuses.shift() ?? 200 });
  };
  let now = 0;
  let svc: ReturnType<typeof createMaintenanceService>;
  const M = Math.floor(Date.now() / MIN) * MIN;

  beforeAll(async () => {
    h = await startHarness(db.url);
    await h.call('POST', 'models', { json: { name: 'm' } });
    await h.push('m', '1.0.0', { f: 'x' });
    await h.call('PUT', 'models/m/channels/production', { json: { version: '1.0.0' } });
    svc = createMaintenanceService({
      db: h.db.kysely, monitoring: h.services.monitoring.service, channels: h.services.channels, modelExists: h.services.models.get,
      now: () => new Date(now), env: { HOOK_KEY: 'k' }, fetch: fakeFetch, webhookBaseDelayMs: 0,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  const send = (minute: number, n: number, errors: number) =>
    h.services.monitoring.service.ingest(Array.from({ length: n }, (_, i) => JSON.stringify({
      model: 'm', version: '1.0.0', requestId: `${minute}-${i}-${Math.random()}`, time: new Date(minute + 1000).toISOString(), features: { x: i }, error: i < errors,
    })).join('\n'));

  it('fires once, stays quiet until cleared and cooled down, and retries 5xx but not 4xx', async () => {
    await svc.setRules('m', [
      'rules:',
      '  - name: errors',
      '    when: error_rate > 0.5',
      '    clear: error_rate < 0.1',
      '    for: 2',
      '    cooldown: 10m',
      '    do: notify',
      '    webhook: http://hooks.test/a',
      '    secretEnv: HOOK_KEY',
    ].join('\n'), { id: 't', name: 'tester', role: 'admin' });
    await send(M - 5 * MIN, 10, 9);
    await send(M - 4 * MIN, 10, 9);
    now = M - 3 * MIN + 1;
    statuses = [503, 500];
    let [r] = (await svc.tick('m'))[0]!.outcomes;
    expect(r).toMatchObject({ fired: true, result: { status: 'delivered', attempts: 3 } });
    expect(calls).toHaveLength(3);
    expect(calls[2]!.sig).toBe(signBody('k', calls[2]!.body));

    await send(M - 3 * MIN, 10, 9); // still bad: disarmed, no second alert
    now = M - 2 * MIN + 1;
    [r] = (await svc.tick('m'))[0]!.outcomes;
    expect(r!.fired).toBe(false);
    expect(calls).toHaveLength(3);

    await send(M - 2 * MIN, 10, 0); // clears (re-arms)
    now = M - MIN + 1;
    [r] = (await svc.tick('m'))[0]!.outcomes;
    expect(r).toMatchObject({ fired: false, cleared: true });

    await send(M - MIN, 10, 9);
    await send(M, 10, 9);
    now = M + MIN + 1; // last two windows bad again, but only 4 min since firing: cooldown
    [r] = (await svc.tick('m'))[0]!.outcomes;
    expect(r).toMatchObject({ fired: false, skipped: 'cooldown' });

    now = M + 10 * MIN; // cooled down (10 min after firing); the last two windows with data are still bad
    statuses = [404];
    [r] = (await svc.tick('m'))[0]!.outcomes;
    expect(r).toMatchObject({ fired: true, result: { status: 'failed', attempts: 1, lastError: 'HTTP 404' } });
    const log = await svc.deliveries('m');
    expect(log.map((d) => d.status)).toEqual(['failed', 'delivered']);
    const audit = await h.db.kysely.selectFrom('audit_events').select(['action', 'details']).where('action', '=', 'maintenance.notify').execute();
    expect(audit).toHaveLength(2);
    expect(JSON.parse(audit[0]!.details).rule).toBe('errors');
  });

  it('retrain runs the configured command with the rule in its environment', async () => {
    const { mkdtempSync, readFileSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const out = join(mkdtempSync(join(tmpdir(), 'steward-retrain-')), 'ran.txt');
    await svc.setRules('m', [
      'rules:',
      '  - name: retrain-on-errors',
      '    when: error_rate > 0.5',
      '    do: retrain',
      `    command: ["${process.execPath}", "-e", "require('fs').writeFileSync(process.argv[1], process.env.STEWARD_RULE + ' ' + process.env.STEWARD_VERSION)", "${out}"]`,
    ].join('\n'), { id: 't', name: 'tester', role: 'admin' });
    const [r] = (await svc.tick('m'))[0]!.outcomes;
    expect(r).toMatchObject({ fired: true, result: { started: process.execPath } });
    for (let i = 0; i < 100 && !existsSync(out); i++) await new Promise((res) => setTimeout(res, 50));
    expect(readFileSync(out, 'utf8')).toBe('retrain-on-errors 1.0.0');
  });

  it('fires a rule once when two servers evaluate it at the same moment', async () => {
    const other = createMaintenanceService({
      db: h.db.kysely, monitoring: h.services.monitoring.service, channels: h.services.channels, modelExists: h.services.models.get,
      now: () => new Date(now), env: { HOOK_KEY: 'k' }, fetch: fakeFetch, webhookBaseDelayMs: 0,
    });
    await svc.setRules('m', ['rules:', '  - name: twice', '    when: error_rate > 0.5', '    do: notify', '    webhook: http://hooks.test/twice'].join('\n'), { id: 't', name: 'tester', role: 'admin' });
    await send(M - 20 * MIN, 10, 9);
    now = M - 19 * MIN + 1;
    const before = calls.length;
    const outcomes = (await Promise.all([svc.tick('m'), other.tick('m'), svc.tick('m')])).map((r) => r[0]!.outcomes[0]!);
    expect(outcomes.filter((o) => o.fired)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.fired).map((o) => o.skipped ?? 'already active')).toEqual(expect.arrayContaining([expect.any(String)]));
    expect(calls.slice(before).filter((c) => c.url === 'http://hooks.test/twice')).toHaveLength(1);
  });

  it('rejects bad rules files with the path of the problem', async () => {
    await expect(svc.setRules('m', 'rules:\n  - name: x\n    when: accuracy <\n    do: rollback', { id: 't', name: 't', role: 'admin' })).rejects.toThrow(/condition/);
    await expect(svc.setRules('m', 'rules:\n  - name: x\n    when: count > 1\n    do: notify', { id: 't', name: 't', role: 'admin' })).rejects.toThrow(/webhook/);
    const r = await h.call('PUT', 'models/m/rules', { body: 'rules: [', headers: { 'content-type': 'application/yaml' } });
    expect(r.status).toBe(400);
  });
});
