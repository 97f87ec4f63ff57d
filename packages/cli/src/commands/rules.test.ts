import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCaptured } from '../testing/run-captured.ts';

/** `steward rules lint` checks a rules file offline: no server, no token. */
describe('steward rules lint', () => {
  let dir: string;
  const lint = (file: string, ...flags: string[]) => runCaptured(['rules', 'lint', file, ...flags], { env: {}, cwd: dir });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-rules-lint-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints the rules with their defaults filled in, and --json the parsed file', async () => {
    await writeFile(join(dir, 'ok.yaml'), ['rules:', '  - name: drifted', '    when: drift.age > 0.2 and count >= 500', '    for: 3', '    do: rollback'].join('\n'));
    const r = await lint('ok.yaml');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/ok\.yaml: 1 rule\(s\) valid/);
    expect(r.stdout).toMatch(/drifted\s+production\s+drift\.age > 0\.2 and count >= 500\s+3 x 1m\s+rollback/);
    const j = await lint('ok.yaml', '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ rules: [{ name: 'drifted', channel: 'production', window: '1m', for: 3, cooldown: '1h', do: 'rollback' }] });
  });

  it('exits 1 with one line naming the offending path: bad condition, missing webhook, bad YAML, unknown field', async () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['cond.yaml', ['rules:', '  - name: a', '    when: drift.age >', '    do: rollback'], /rules\.rules\.0\.when: /],
      ['hook.yaml', ['rules:', '  - name: a', '    when: count > 1', '    do: notify'], /rules\.rules\.0\.webhook: notify needs a webhook URL/],
      ['yaml.yaml', ['rules: [', '  - name: a'], /rules file is not valid YAML/],
      ['extra.yaml', ['rules:', '  - name: a', '    when: count > 1', '    do: rollback', '    colour: red'], /rules\.rules\.0: .*colour/i],
    ];
    for (const [file, lines, msg] of cases) {
      await writeFile(join(dir, file), lines.join('\n'));
      const r = await lint(file);
      expect(r.code, file).toBe(1);
      expect(r.stdout, file).toBe('');
      expect(r.stderr.trim().split('\n'), file).toHaveLength(1);
      expect(r.stderr, file).toMatch(msg);
    }
  });
});
