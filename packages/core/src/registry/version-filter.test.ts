import { describe, expect, it } from 'vitest';
import { parseFilter } from './version-filter.ts';

describe('parseFilter', () => {
  it('reads metric, param and tag clauses', () => {
    expect(parseFilter("metrics.f1>=0.92 and tags.team=risk AND params.opt='adam' and params.lr<0.1")).toEqual([
      { kind: 'metric', key: 'f1', op: '>=', value: 0.92 },
      { kind: 'tag', key: 'team', op: '=', value: 'risk' },
      { kind: 'param', key: 'opt', op: '=', value: 'adam' },
      { kind: 'param', key: 'lr', op: '<', value: 0.1 },
    ]);
  });
  it('is empty for blank input', () => expect(parseFilter('  ')).toEqual([]));
  it.each(['metrics.f1>=high', 'tags.team>risk', 'f1>0.2', 'metrics.f1', 'params.opt>adam'])('rejects %j', (f) =>
    expect(() => parseFilter(f)).toThrow(/invalid filter/),
  );
});
