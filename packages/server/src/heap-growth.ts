import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past the live heap before its next full collection:
 * the limit becomes live × (1 + percent/100), instead of V8's own factor (between 1.1 and 4,
 * often ~2 for a server's ~30 MB heap).
 *
 * Why a server needs it: V8 counts external memory allocated since the last mark-compact against
 * that limit. Node's HTTP parser copies every body piece (≤ 64 KiB) into a new Buffer, and a pack
 * read makes Buffers too, so a push streaming a few hundred MB/s through the server used the slack
 * of a ~26 MB heap every ~40 MB: 15–28 mark-compacts for a 1.4 GB series push, each marking the
 * whole heap on V8's helper threads (~0.5 CPU-s in all, a sixth of the server's CPU, measured with
 * `--trace-gc`). With 200 the same push ran 4–5 (each found only ~2–3 MB of garbage: the
 * Buffers' bytes are freed by scavenges), and peak RSS moved little: one 512 MiB file the same,
 * a 4 GiB push 256 against 237 MiB, its pull 266 against 262. bench/README.md, session 16.
 *
 * The flag is read each time V8 computes a limit, so setting it once the process runs takes
 * effect at the next collection. A `--heap-growing-percent` given to node itself wins; 0 leaves
 * V8's own factor.
 */
export function applyHeapGrowth(percent: number, execArgv: readonly string[] = process.execArgv): boolean {
  if (!(percent > 0) || execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return false;
  setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
  return true;
}
