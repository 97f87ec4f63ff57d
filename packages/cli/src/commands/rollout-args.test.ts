import { describe, expect, it } from 'vitest';
import { parseAnalysisFile, parseConstraint, parseSteps } from './rollout-args.ts';

describe('rollout arguments', () => {
  it('interleaves the pause between weights but not after 100 %', () => {
    expect(parseSteps('10,50,100', '10m')).toEqual([{ weight: 10 }, { pause: '10m' }, { weight: 50 }, { pause: '10m' }, { weight: 100 }]);
    expect(parseSteps('5', 'manual')).toEqual([{ weight: 5 }]);
    expect(parseSteps('5,100', 'manual')).toEqual([{ weight: 5 }, { pause: null }, { weight: 100 }]);
    expect(() => parseSteps('10,x', undefined)).toThrow(/not a percentage/);
  });

  it('reads constraints with their operators', () => {
    expect(parseConstraint('region in eu,us')).toEqual({ attribute: 'region', op: 'in', value: ['eu', 'us'] });
    expect(parseConstraint('appVersion semver >=2.3.0 <3')).toEqual({ attribute: 'appVersion', op: 'semver', value: '>=2.3.0 <3' });
    expect(parseConstraint('ram gte 4')).toEqual({ attribute: 'ram', op: 'gte', value: 4 });
    expect(() => parseConstraint('region like eu')).toThrow(/unknown operator "like"/);
  });

  it('reads a flat YAML analysis file and rejects unknown keys', () => {
    const a = parseAnalysisFile('# canary checks\nsuccessCondition: errorRate < 0.01 and requests >= 500\nfailureCondition: "errorRate > 0.05"\nfailureLimit: 1\ninterval: 1m\ncount: 5\n', 'a.yaml');
    expect(a).toEqual({ successCondition: 'errorRate < 0.01 and requests >= 500', failureCondition: 'errorRate > 0.05', failureLimit: 1, interval: '1m', count: 5 });
    expect(() => parseAnalysisFile('interval: 1m\nthreshold: 3', 'a.yaml')).toThrow(/unknown key "threshold"/);
    expect(parseAnalysisFile('{"interval": 1000, "failureCondition": "errorRate > 0.1"}', 'a.json').interval).toBe(1000);
  });
});
