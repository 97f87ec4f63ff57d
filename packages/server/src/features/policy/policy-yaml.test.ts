import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parsePolicyYaml } from './policy-yaml.ts';
import { PolicySchema } from './policy.types.ts';

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

describe('policy YAML (properties)', () => {
  const gate = fc.oneof(
    fc.constant({ type: 'integrity' }),
    fc.record({ type: fc.constant('metric'), metric: fc.constantFrom('accuracy', 'f1', 'rocAuc'), min: fc.double({ min: 0, max: 1, noNaN: true }) }),
    fc.record({ type: fc.constant('size'), maxBytes: fc.integer({ min: 1, max: 2 ** 40 }) }),
    fc.record({ type: fc.constant('fairness'), dataset: fc.constantFrom('adult@1', 'ds-2@1.0.0'), minGroupSize: fc.integer({ min: 1, max: 1000 }) }),
  );
  const policy = fc.record({
    channels: fc.dictionary(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}$/), fc.record({ approvals: fc.integer({ min: 0, max: 20 }), gates: fc.array(gate, { maxLength: 5 }) }), { maxKeys: 3 }),
  });
  it('round-trips any valid policy through YAML', () => {
    fc.assert(
      fc.property(policy, (p) => {
        const parsed = parsePolicyYaml(stringify(p));
        expect(parsed).toEqual(PolicySchema.parse(p));
      }),
      { numRuns: 150 },
    );
  });
  it('points every invalid value at a line inside the document', () => {
    fc.assert(
      fc.property(policy.filter((p) => Object.values(p.channels).some((c) => c.gates.length > 0)), fc.constantFrom('"nope"', '-1', '[1]'), (p, bad) => {
        const [name, ch] = Object.entries(p.channels).find(([, c]) => c.gates.length > 0)!;
        const broken = { channels: { ...p.channels, [name]: { ...ch, approvals: '__BAD__' } } };
        const text = stringify(broken).replace(/["']?__BAD__["']?/, bad);
        const lines = text.split('\n').length;
        try {
          parsePolicyYaml(text);
          return false;
        } catch (err) {
          const issue = (err as { details: { issues: { line?: number; path: string }[] } }).details.issues[0]!;
          return issue.path === `channels.${name}.approvals` && issue.line! >= 1 && issue.line! <= lines && text.split('\n')[issue.line! - 1]!.includes('approvals');
        }
      }),
      { numRuns: 100 },
    );
  });
});
