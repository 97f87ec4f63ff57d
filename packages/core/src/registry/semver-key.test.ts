import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import semver from 'semver';
import { parseVersion } from './semver-key.ts';

const ident = fc.oneof(fc.integer({ min: 0, max: 50 }).map(String), fc.stringMatching(/^[a-z][a-z0-9-]{0,5}$/));
const version = fc
  .tuple(fc.nat(30), fc.nat(30), fc.nat(30), fc.array(ident, { maxLength: 3 }))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre.length ? `-${pre.join('.')}` : ''}`);

describe('parseVersion', () => {
  it('sort keys order exactly like semver precedence', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        const ka = parseVersion(a).sortKey;
        const kb = parseVersion(b).sortKey;
        const byKey = ka < kb ? -1 : ka > kb ? 1 : 0;
        expect(byKey).toBe(semver.compare(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('orders the semver.org example chain', () => {
    const chain = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    const keys = chain.map((v) => parseVersion(v).sortKey);
    expect([...keys].sort()).toEqual(keys);
  });

  it.each(['1.0', 'v1.0.0', '1.0.0+build.1', '01.0.0', '', '1.0.0-', 'latest', '1.2.3 '])('rejects %j', (v) => {
    expect(() => parseVersion(v)).toThrow(/invalid version/);
  });

  it('flags prereleases', () => {
    expect(parseVersion('2.0.0-rc.1').prerelease).toBe(true);
    expect(parseVersion('2.0.0').prerelease).toBe(false);
  });
});
