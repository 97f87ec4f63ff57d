/**
 * Resolve throughput on one core: in-process routing decisions per second for a table with a
 * canary candidate (with a step constraint), per-platform variants and a platform override.
 * Anchor, measured in the same run on the same keys: a loop that only computes the sticky bucket
 * (murmur3 of "rolloutId:key"), i.e. the floor any sticky router pays. Target: ≥ 2 M decisions/s.
 *
 *   node --import tsx bench/resolve.bench.ts            # 1M keys x 5 rounds
 *   STEWARD_BENCH_KEYS=200000 node --import tsx bench/resolve.bench.ts
 */
import { bucketOf } from '../packages/core/src/routing/bucket.ts';
import { resolve } from '../packages/core/src/routing/resolve.ts';
import type { RoutingTable, UnitContext } from '../packages/core/src/routing/types.ts';

const KEYS = Number(process.env.STEWARD_BENCH_KEYS ?? 1_000_000);
const ROUNDS = 5;
const TARGET = 2_000_000;

const table: RoutingTable = {
  stable: '1.1.0',
  variants: { android: 'int8', '*': 'default' },
  candidate: {
    rolloutId: 'rollout-2024-06-canary',
    version: '1.2.0',
    weightBps: 2500,
    constraints: [{ attribute: 'region', op: 'notIn', value: ['cn', 'ru'] }],
  },
  overrides: {
    ios: { stable: '1.1.0', variants: { ios: 'coreml' }, candidate: { rolloutId: 'rollout-2024-06-canary', version: '1.2.0', weightBps: 500 } },
  },
};

const keys = Array.from({ length: KEYS }, (_, i) => `user-${i.toString(36)}-${(i * 2654435761) >>> 0}`);
const contexts: UnitContext[] = [
  { platform: 'android', region: 'eu' },
  { platform: 'ios', region: 'us' },
  { platform: 'web', region: 'eu' },
  { platform: 'android', region: 'cn' },
];

function time(fn: () => number): { seconds: number; sink: number } {
  const t0 = process.hrtime.bigint();
  const sink = fn();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, sink };
}

const hashOnly = (): number => {
  let acc = 0;
  for (let i = 0; i < keys.length; i++) acc += bucketOf('rollout-2024-06-canary', keys[i]!);
  return acc;
};

const decide = (): number => {
  let acc = 0;
  for (let i = 0; i < keys.length; i++) acc += resolve(table, keys[i]!, contexts[i & 3]!).arm.length;
  return acc;
};

// Warm up both loops so the JIT has compiled them before timing; take the best round of each.
hashOnly();
decide();
let bestHash = Infinity;
let bestResolve = Infinity;
let sink = 0;
for (let r = 0; r < ROUNDS; r++) {
  const h = time(hashOnly);
  const d = time(decide);
  bestHash = Math.min(bestHash, h.seconds);
  bestResolve = Math.min(bestResolve, d.seconds);
  sink += h.sink + d.sink;
}
const hashRate = KEYS / bestHash;
const resolveRate = KEYS / bestResolve;
const fmt = (n: number): string => `${(n / 1e6).toFixed(2)} M/s`;
console.log(`keys: ${KEYS}, rounds: ${ROUNDS} (best of), checksum ${sink}`);
console.log(`hash only (anchor): ${fmt(hashRate)}`);
console.log(`resolve:            ${fmt(resolveRate)}  (target ≥ ${fmt(TARGET)}: ${resolveRate >= TARGET ? 'met' : 'NOT met'})`);
console.log(`ratio resolve / hash-only: ${(resolveRate / hashRate).toFixed(2)}`);
