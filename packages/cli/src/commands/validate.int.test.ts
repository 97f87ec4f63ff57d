import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// A real server in-process (test-only reach into the server package) and the repo's adult model tool.
import { startServer, type RunningServer } from '../../../server/src/server.ts';
import { loadAdult, makeAdultModel } from '../../../../tools/adult-model.ts';
import { formatCsv } from '@steward/core';
import { runCaptured } from '../testing/run-captured.ts';

let server: RunningServer;
let dir: string;
const tokens: Record<string, string> = {};

async function cli(argv: string[], token = server.adminToken!) {
  return runCaptured(argv, { env: { STEWARD_URL: server.url, STEWARD_TOKEN: token }, cwd: dir });
}

describe('steward policy / dataset / evaluate / validate / approve against a real server', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-gates-cli-'));
    server = await startServer({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), quiet: true }, {});
    const test = loadAdult('test');
    await writeFile(join(dir, 'model.onnx'), makeAdultModel(loadAdult('train')));
    await writeFile(join(dir, 'adult-test.csv'), formatCsv({ header: test.header, rows: test.rows.slice(0, 3000) }));
    await writeFile(
      join(dir, 'policy.yaml'),
      'channels:\n  production:\n    approvals: 1\n    gates:\n      - type: integrity\n      - type: metric\n        metric: accuracy\n        min: 0.83\n        dataset: adult-test@1\n      - type: fairness\n        dataset: adult-test@1\n        minDemographicParityRatio: 0.1\n',
    );
    for (const [name, role] of [['ana', 'approver'], ['pat', 'publisher']] as const) {
      tokens[name] = JSON.parse((await cli(['token', 'create', '--name', name, '--role', role, '--json'])).stdout).token;
    }
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('walks the tour: policy, dataset, evaluate, validate, approve, promote; show has the report', async () => {
    expect((await cli(['model', 'create', 'income'])).code).toBe(0);
    expect((await cli(['push', 'income', '1.0.0', 'model.onnx'], tokens.pat)).code).toBe(0);

    await writeFile(join(dir, 'bad.yaml'), 'channels:\n  production:\n    gates:\n      - type: metric\n        metric: f1\n        min: [1]\n');
    const bad = await cli(['policy', 'set', 'income', 'bad.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: invalid policy: line 6: channels\.production\.gates\.0\.min/);
    expect((await cli(['policy', 'set', 'income', 'policy.yaml'])).stdout).toMatch(/production: 3 gate\(s\), 1 approval/);
    expect((await cli(['policy', 'get', 'income'])).stdout).toContain('type: fairness');

    const ds = await cli(['dataset', 'push', 'adult-test', '1', 'adult-test.csv', '--label', 'income', '--sensitive', 'sex,race'], tokens.pat);
    expect(ds.code).toBe(0);
    expect(ds.stdout).toMatch(/3000 rows/);
    expect(ds.stdout).toMatch(/positive class ">50K"/);

    const ev = await cli(['evaluate', 'income@1.0.0', '--dataset', 'adult-test@1'], tokens.pat);
    expect(ev.code).toBe(0);
    expect(ev.stdout).toMatch(/accuracy\s+0\.8[3-9]/);
    expect(ev.stdout).toMatch(/fairness by sex/);

    const refused = await cli(['channel', 'set', 'income', 'production', '1.0.0'], tokens.pat);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no validation report.*\(gate_failed\)/);

    const val = await cli(['validate', 'income@1.0.0', '--channel', 'production'], tokens.pat);
    expect(val.code).toBe(0);
    expect(val.stdout).toMatch(/income@1\.0\.0 on production: PASS/);
    expect(val.stdout).toMatch(/metric:accuracy\s+pass/);

    expect((await cli(['approve', 'income@1.0.0', '--channel', 'production'], tokens.pat)).code).toBe(1);
    const ok = await cli(['approve', 'income@1.0.0', '--channel', 'production', '--comment', 'fair enough'], tokens.ana);
    expect(ok.stdout).toMatch(/approved income@1\.0\.0 for production as ana/);
    expect((await cli(['channel', 'set', 'income', 'production', '1.0.0'], tokens.pat)).code).toBe(0);

    const show = await cli(['show', 'income@production']);
    expect(show.stdout).toMatch(/latest validation: income@1\.0\.0 on production: PASS/);
    expect(JSON.parse((await cli(['show', 'income@1.0.0', '--json'])).stdout).validation.status).toBe('pass');
  });

  it('exits 1 when validation fails and forces only with admin + reason', async () => {
    await writeFile(join(dir, 'strict.yaml'), 'channels:\n  production:\n    gates:\n      - type: size\n        maxBytes: 10\n');
    await cli(['policy', 'set', 'income', 'strict.yaml']);
    const v = await cli(['validate', 'income@1.0.0', '--channel', 'production', '--json'], tokens.pat);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).gates[0]).toMatchObject({ gate: 'size', status: 'fail', threshold: 10 });
    expect(v.stderr).toMatch(/validation fail: 1 of 1 gate/);
    expect((await cli(['push', 'income', '1.0.1', 'model.onnx'], tokens.pat)).code).toBe(0);
    expect((await cli(['channel', 'set', 'income', 'production', '1.0.1', '--force', '--reason', 'x'], tokens.pat)).stderr).toMatch(/needs an admin token/);
    expect((await cli(['channel', 'set', 'income', 'production', '1.0.1', '--force'])).stderr).toMatch(/--force needs a --reason/);
    expect((await cli(['channel', 'set', 'income', 'production', '1.0.1', '--force', '--reason', 'incident 7'])).code).toBe(0);
    const rb = await cli(['rollback', 'income', 'production', '--yes', '--force', '--reason', 'back']);
    expect(rb.code).toBe(0);
  });
});
