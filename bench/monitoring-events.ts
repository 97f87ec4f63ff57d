/** The ingest benchmarks' events: 15 features (10 numeric, 5 categorical), a score, a latency and a group, as NDJSON batches. */
import { mulberry32 } from '../packages/core/src/sketches/prng.ts';

export function makeBatches(total: number, batchSize: number, now: number, idPrefix = 'r'): string[] {
  const rng = mulberry32(1);
  const cats = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const batches: string[] = [];
  for (let b = 0; b < total / batchSize; b++) {
    const lines: string[] = [];
    for (let i = 0; i < batchSize; i++) {
      const features: Record<string, number | string> = {};
      for (let f = 0; f < 10; f++) features[`n${f}`] = Math.round(rng.next() * 1000 * (f + 1)) / 10;
      for (let f = 0; f < 5; f++) features[`c${f}`] = cats[Math.floor(rng.next() * cats.length)] as string;
      lines.push(JSON.stringify({
        model: 'bench', version: '1.0.0', requestId: `${idPrefix}${b}-${i}`, time: new Date(now - 300_000 + ((b * batchSize + i) % 240_000)).toISOString(),
        features, score: rng.next(), latencyMs: rng.next() * 20, groups: { sex: i % 2 ? 'F' : 'M' },
      }));
    }
    batches.push(lines.join('\n'));
  }
  return batches;
}

/** CPU seconds of the main thread alone (Linux: /proc/self/task/<pid>/stat, utime + stime in ticks of 1/100 s). */
export function mainThreadSeconds(readFileSync: (p: string, enc: 'utf8') => string): number {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
