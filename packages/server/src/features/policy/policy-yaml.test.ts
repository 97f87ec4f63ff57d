import { describe, expect, it } from 'vitest';
import { parsePolicyYaml } from './policy-yaml.ts';

const GOOD = `channels:
  production:
    approvals: 1
    gates:
      - type: integrity
      - type: metric
        metric: accuracy
        min: 0.84
        dataset: adult-test@1
      - type: fairness
        dataset: adult-test@1
`;

function issueOf(text: string) {
  try {
    parsePolicyYaml(text);
  } catch (err) {
    return err as { message: string; details: { issues: { line?: number; path: string }[] } };
  }
  throw new Error('expected the policy to be rejected');
}

describe('policy YAML', () => {
  it('parses a policy and fills defaults', () => {
    const p = parsePolicyYaml(GOOD);
    expect(p.channels.production?.approvals).toBe(1);
    const fair = p.channels.production?.gates[2];
    expect(fair).toMatchObject({ type: 'fairness', minDemographicParityRatio: 0.8, minGroupSize: 30 });
  });
  it('points at the line of a bad value', () => {
    const e = issueOf(GOOD.replace('min: 0.84', 'min: high'));
    expect(e.message).toMatch(/^invalid policy: line 8: channels\.production\.gates\.1\.min/);
    expect(e.details.issues[0]?.line).toBe(8);
  });
  it('points at the gate of an unknown type and at an unknown key', () => {
    expect(issueOf(GOOD.replace('type: integrity', 'type: vibes')).details.issues[0]?.line).toBe(5);
    expect(issueOf(GOOD.replace('approvals: 1', 'approvals: 1\n    approvers: 2')).message).toMatch(/line 3/);
  });
  it('reports YAML syntax errors with their line', () => {
    const e = issueOf('channels:\n  production:\n    gates: [\n');
    expect(e.details.issues[0]?.line).toBeGreaterThanOrEqual(3);
  });
  it('refuses a metric gate without bounds', () => {
    expect(issueOf('channels:\n  production:\n    gates:\n      - type: metric\n        metric: f1\n').message).toMatch(/line 4.*needs min or max/);
  });
});
