import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StewardClient } from '@steward/client';
import { startServer, type RunningServer } from '../../server.ts';

// The real `steward serve` process wiring: the controller loop advances a canary on its own.
describe('rollout controller loop in startServer', () => {
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'steward-loop-'));
    server = await startServer({ dataDir: dir, port: 0, quiet: true }, { STEWARD_ROLLOUT_INTERVAL_MS: '100' });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends a timed pause and promotes without anyone calling tick', async () => {
    const client = new StewardClient({ url: server.url, token: server.adminToken! });
    await client.models.create({ name: 'loop' });
    for (const v of ['1.0.0', '1.1.0']) {
      const bytes = new TextEncoder().encode(`weights ${v}`);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      await client.blobs.put(sha256, bytes, { size: bytes.length });
      const draft = await client.drafts.create('loop', { version: v });
      await client.drafts.attach('loop', draft.id, [{ path: 'model.onnx', sha256, size: bytes.length }]);
      await client.drafts.commit('loop', draft.id);
    }
    await client.channels.set('loop', 'production', { version: '1.0.0' });
    const r = await client.rollouts.start('loop', 'production', { version: '1.1.0', steps: [{ weight: 20 }, { pause: '300ms' }, { weight: 100 }] });
    expect(r.state).toBe('running');
    const deadline = Date.now() + 10_000;
    let state = r.state;
    while (state === 'running' && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 100));
      state = (await client.rollouts.get(r.id)).state;
    }
    expect(state).toBe('succeeded');
    expect((await client.channels.get('loop', 'production')).table).toEqual({ stable: '1.1.0' });
  });
});
