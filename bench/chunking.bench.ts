/**
 * Chunker throughput against an anchor measured in the same run: node:crypto SHA-256 of the whole
 * buffer (OpenSSL underneath, SHA-NI where the CPU has it). The ingest target is ≥ 50 % of
 * `openssl dgst -sha256`, so "chunk + hash" over "hash only" is the number to watch.
 *
 *   node --import tsx bench/chunking.bench.ts            # 256 MiB, best of 3
 *   STEWARD_BENCH_MIB=64 STEWARD_BENCH_RUNS=5 node --import tsx bench/chunking.bench.ts
 */
import { createHash } from 'node:crypto';
import { chunkBuffer, createChunker } from '../packages/core/src/chunking/chunker.ts';
import { identifyChunks } from '../packages/core/src/chunking/chunk-ids.ts';
import { seededBytes } from '../packages/core/src/chunking/seeded-bytes.ts';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.env.STEWARD_BENCH_MIB ?? 256);
const runs = Number(process.env.STEWARD_BENCH_RUNS ?? 3);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Best (minimum) wall time in ms over `runs`: least disturbed by the other tenants of the box. */
function best(fn: () => unknown): number {
  let min = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const data = seededBytes(sizeMiB * MiB, 0xbe7c4);
const rate = (ms: number): number => sizeMiB / (ms / 1000);

let chunks = 0;
const tChunk = best(() => (chunks = chunkBuffer(data).length));
const tStream = best(() => {
  const chunker = createChunker();
  for (let i = 0; i < data.length; i += MiB) chunker.push(data.subarray(i, i + MiB));
  chunker.finish();
});
const tChunkHash = best(() => identifyChunks(data, chunkBuffer(data), sha256));
const tHash = best(() => sha256(data));

const row = (label: string, ms: number): string =>
  `${label.padEnd(40)} ${rate(ms).toFixed(0).padStart(6)} MiB/s  (${ms.toFixed(0)} ms)`;
console.log(`chunking ${sizeMiB} MiB of pseudo-random data, best of ${runs}; ${chunks} chunks, mean ${(
  (sizeMiB * MiB) / chunks / 1024
).toFixed(1)} KiB`);
console.log(row('boundaries (chunkBuffer)', tChunk));
console.log(row('boundaries (streaming, 1 MiB pushes)', tStream));
console.log(row('boundaries + SHA-256 per chunk', tChunkHash));
console.log(row('anchor: SHA-256 of whole buffer', tHash));
console.log(`ratio boundaries / SHA-256:            ${(tHash / tChunk).toFixed(2)}`);
console.log(`ratio (boundaries + SHA-256) / SHA-256: ${(tHash / tChunkHash).toFixed(2)}  (ingest target ≥ 0.50)`);
