import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { createMaintenanceService } from './maintenance.service.ts';

const MIN = 60_000;

describe('maintenance rules acting on a rollout', () => {
  let h: Harness;
  let now = 0;
  const M = Math.floor(Date.now() / MIN) * MIN;
  beforeAll(async () => {
    h = await startHarness('sqlite::memory:');
    await h.call('POST', 'models', { json: { name: 'm' } });
    await h.push('m', '1.0.0', { f: 'a' });
    await h.push('m', '1.1.0', { f: 'b' });
    await h.call('PUT', 'models/m/channels/production', { json: { version: '1.0.0' } });
  });
  afterAll(async () => h?.close());

  const send = (minute: number, n: number, errors: number) =>
    h.services.monitoring.service.ingest(
      Array.from({ length: n }, (_, i) =>
        JSON.stringify({ model: 'm', version: '1.0.0', requestId: `${minute}-${i}-${Math.random()}`, time: new Date(minute + 1000).toISOString(), features: { x: i }, error: i < errors }),
      ).join('\n'),
    );

  it.each([
    ['pause-rollout', 'paused'],
    ['abort-rollout', 'aborted'],
  ] as const)('%s moves the active rollout to %s and names the rule', async (action, state) => {
    const start = await h.call('POST', 'models/m/channels/production/rollouts', { json: { version: '1.1.0', strategy: 'canary', steps: [{ weight: 10 }, { pause: '1h' }, { weight: 100 }] } });
    expect(start.status).toBe(201);
    const svc = createMaintenanceService({
      db: h.db.kysely,
      monitoring: h.services.monitoring.service,
      channels: h.services.channels,
      rolloutAction: (model, channel, a, reason, by) => h.services.rollouts.rollouts.action(model, channel, a, reason, by),
      modelExists: h.services.models.get,
      now: () => new Date(now),
    });
    await svc.setRules('m', ['rules:', `  - name: guard-${action}`, '    when: error_rate > 0.5', `    do: ${action}`].join('\n'), { id: 't', name: 'tester', role: 'admin' });
    const minute = M - (action === 'pause-rollout' ? 10 : 5) * MIN;
    await send(minute, 10, 9);
    now = minute + MIN + 1;
    const [r] = (await svc.tick('m'))[0]!.outcomes;
    expect(r).toMatchObject({ fired: true, result: { rollout: action === 'pause-rollout' ? 'pause' : 'abort' } });
    const status = await h.call('GET', 'models/m/channels/production/rollout');
    if (state === 'paused') await h.call('POST', 'models/m/channels/production/rollout/abort', { json: { reason: 'cleanup' } });
    expect(status.data.state).toBe(state);
    expect(JSON.stringify(status.data)).toContain(`guard-${action}`);
    expect((await h.call('GET', 'models/m/channels/production')).data.table.stable).toBe('1.0.0');
  });
});
