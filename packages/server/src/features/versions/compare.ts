import { canonicalJson } from '@steward/core';
import type { Comparison } from '@steward/core/api';
import type { Version } from './versions.types.ts';

export type { Comparison };

const keys = (a: object, b: object) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();

/** `ancestry` is b's parent chain (b first), so the caller decides how far to walk. */
export function compareVersions(a: Version, b: Version, ancestry: string[]): Comparison {
  const fa = new Map(a.files.map((f) => [f.path, f]));
  const fb = new Map(b.files.map((f) => [f.path, f]));
  const paths = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  const idx = ancestry.indexOf(a.version);
  return {
    a: a.version,
    b: b.version,
    metrics: keys(a.metrics, b.metrics).map((key) => {
      const x = a.metrics[key] ?? null;
      const y = b.metrics[key] ?? null;
      return { key, a: x, b: y, delta: x !== null && y !== null ? y - x : null };
    }),
    params: keys(a.params, b.params).map((key) => ({ key, a: a.params[key] ?? null, b: b.params[key] ?? null, changed: a.params[key] !== b.params[key] })),
    files: paths.map((path) => {
      const x = fa.get(path);
      const y = fb.get(path);
      const status = !x ? 'added' : !y ? 'removed' : x.sha256 === y.sha256 ? 'same' : 'changed';
      return { path, a: x?.sha256 ?? null, b: y?.sha256 ?? null, sizeA: x?.size ?? null, sizeB: y?.size ?? null, status };
    }),
    schema: {
      inputChanged: canonicalJson(a.inputSchema ?? null) !== canonicalJson(b.inputSchema ?? null),
      outputChanged: canonicalJson(a.outputSchema ?? null) !== canonicalJson(b.outputSchema ?? null),
    },
    lineage: {
      parentOfA: a.parent,
      parentOfB: b.parent,
      relationOfB: b.relation,
      bDescendsFromA: idx > 0,
      path: idx > 0 ? ancestry.slice(0, idx + 1) : [],
    },
  };
}
