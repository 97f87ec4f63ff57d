import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { FrameEncoding } from '@steward/core';
import { Compressor, Decompressor } from 'zstd-napi';

// The raw binding decodes into a caller's buffer (the Decompressor class always allocates). It is
// CommonJS that Node's ESM loader cannot see named exports in, hence require.
// The same goes for compressing into a reused buffer (the Compressor class allocates a fresh
// output per call, so every probe of a raw chunk made 8 KiB of garbage).
const { CCtx, CParameter, compressBound, DCtx } = createRequire(import.meta.url)('zstd-napi/binding.js') as typeof import('zstd-napi/binding.js');

/**
 * How a chunk is stored (column `chunks.compression`), and for raw chunks why, so that fetch
 * answers know without probing again whether zstd on the wire is worth it:
 * - 'zstd': compressed (zstd saves at least 10 %).
 * - 'raw-low-gain': raw because zstd saves only 3–10 % (float16 weights save ~8 %): every reader
 *   (the pre-commit digest check, pulls, downloads) is spared a decompression for < 10 % more
 *   bytes on disk; fetch answers zstd it on the wire when the client asks for encodings.
 * - 'raw-incompressible': raw because zstd saves under 3 % (or the chunk is under 64 bytes):
 *   fetch answers send it as it is, no probe.
 * - 'none': raw, stored before the reason was recorded (zstd saves under 5 %); fetch answers probe it.
 * Any value but 'zstd' is raw bytes, which is all an older server needs to read them.
 */
export type Compression = 'none' | 'zstd' | 'raw-low-gain' | 'raw-incompressible';

/**
 * Storage: zstd level 1. On model weights (float16, int8) it saves exactly what level 3 does
 * (the gain is the entropy coding of exponent bytes, not matches) at twice the speed, and every
 * pushed byte that compresses goes through it. Fetch answers keep level 3 for legacy raw chunks
 * and dictionaries (they search the client's old bytes, where matches are the whole point).
 */
export const STORE_LEVEL = 1;
const LEVEL = 3;
/** Stored compressed only when zstd's output is at most this fraction of the raw bytes. */
export const STORE_ZSTD_AT_MOST = 0.9;
/** Raw chunks whose zstd output exceeds this fraction are 'raw-incompressible'. */
const INCOMPRESSIBLE_ABOVE = 0.97;
/** The probe: 4 slices of 2 KiB spread over a chunk of more than PROBE_MIN bytes. */
const SLICE = 2 * 1024;
const SLICES = 4;
const PROBE_MIN = 4 * SLICE * SLICES;

/** The storage judgement's figures, as data: judgeChunk also runs on the SHA-256 worker, which gets them in its messages. */
export const STORE_RULES = { atMost: STORE_ZSTD_AT_MOST, incompressibleAbove: INCOMPRESSIBLE_ABOVE, slice: SLICE, slices: SLICES, probeMin: PROBE_MIN } as const;
export type StoreRules = typeof STORE_RULES;

/**
 * How a push stores one chunk: zstd only when it saves at least 10 %. A chunk over 32 KiB is
 * judged by its probe first (8 KiB compressed), so a raw chunk costs a tenth of a full
 * compression; the probe saves ~1 point less than the whole chunk (its entropy tables cost more
 * per byte). `z` is the compressed bytes for 'zstd', as `compress` returned them (a view of its
 * output buffer: copy it before the next call).
 *
 * Self-contained on purpose: its source text also runs on the SHA-256 worker (sha256-worker.ts),
 * so it reaches zstd only through `compress` and names nothing else of this module; `probe` is a
 * scratch buffer of slice × slices bytes.
 */
export function judgeChunk(raw: Uint8Array, rules: StoreRules, compress: (src: Uint8Array) => Uint8Array, probe: Uint8Array): { compression: Compression; z?: Uint8Array } {
  if (raw.length < 64) return { compression: 'raw-incompressible' };
  if (raw.length > rules.probeMin) {
    const step = (raw.length - rules.slice) / (rules.slices - 1);
    for (let i = 0; i < rules.slices; i++) probe.set(raw.subarray(Math.floor(i * step), Math.floor(i * step) + rules.slice), i * rules.slice);
    const guess = compress(probe).length / probe.length;
    if (guess > rules.atMost) return { compression: guess > rules.incompressibleAbove ? 'raw-incompressible' : 'raw-low-gain' };
  }
  const z = compress(raw);
  const ratio = z.length / raw.length;
  if (ratio <= rules.atMost) return { compression: 'zstd', z };
  return { compression: ratio > rules.incompressibleAbove ? 'raw-incompressible' : 'raw-low-gain' };
}

/** The probe's bytes, copied into one reused buffer (compress reads it synchronously). */
const probeBytes = Buffer.allocUnsafeSlow(SLICE * SLICES);
function probe(raw: Uint8Array): Buffer {
  const step = (raw.length - SLICE) / (SLICES - 1);
  for (let i = 0; i < SLICES; i++) probeBytes.set(raw.subarray(Math.floor(i * step), Math.floor(i * step) + SLICE), i * SLICE);
  return probeBytes;
}

// One context each, reused: creating a zstd context per 64 KiB chunk costs more than compressing it.
// Safe to share: calls are synchronous and Node runs them on one thread.
const compressor = new Compressor();
compressor.setParameters({ compressionLevel: LEVEL });
/**
 * zstd at `level` through one context and one output buffer, both reused: each result is a view of
 * that buffer, valid until the next call. Self-contained like judgeChunk: the SHA-256 worker
 * builds its own from this function's source text and the binding it loads.
 */
export function storeCompressorOf(zstd: Pick<typeof import('zstd-napi/binding.js'), 'CCtx' | 'CParameter' | 'compressBound'>, level: number): (src: Uint8Array) => Buffer {
  const cctx = new zstd.CCtx();
  cctx.setParameter(zstd.CParameter.compressionLevel, level);
  let out = Buffer.allocUnsafeSlow(zstd.compressBound(256 * 1024));
  return (src) => {
    const bound = zstd.compressBound(src.length);
    if (out.length < bound) out = Buffer.allocUnsafeSlow(bound);
    return out.subarray(0, cctx.compress2(out, src));
  };
}
/** zstd at STORE_LEVEL: a push judges and compresses every new chunk through it (where the worker did not), and fetch answers zstd low-gain raw chunks with it. */
const storeCompress = storeCompressorOf({ CCtx, CParameter, compressBound }, STORE_LEVEL);
const decompressor = new Decompressor();
const dctx = new DCtx();
const compress = (b: Uint8Array) => compressor.compress(b);

/** zstd output / input of the probe slices of a (large) chunk; undefined for chunks too small to probe. */
function probeRatio(raw: Uint8Array): number | undefined {
  return raw.length > PROBE_MIN ? compressor.compress(probe(raw)).length / (SLICE * SLICES) : undefined;
}

/** Stored form of one chunk (judgeChunk on this thread); a compressed result is copied out of the shared output buffer at its exact size. */
export function encodeChunk(raw: Uint8Array): { bytes: Uint8Array; compression: Compression } {
  const j = judgeChunk(raw, STORE_RULES, storeCompress, probeBytes);
  return { bytes: j.z ? Buffer.from(j.z) : raw, compression: j.compression };
}

/** Inverse of encodeChunk; throws if the stored bytes do not decode to `rawLength` bytes. */
export function decodeChunk(stored: Uint8Array, compression: string, rawLength: number): Buffer {
  const out = compression === 'zstd' ? decompressor.decompress(stored) : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  if (out.length !== rawLength) throw new Error(`chunk decodes to ${out.length} bytes, index says ${rawLength}`);
  return out;
}

/**
 * decodeChunk into `scratch` (at least `rawLength` bytes), for readers that only hash the bytes:
 * reading a file back to check its digest allocated one fresh buffer per chunk, all garbage at once.
 * The result is a view of `scratch` (or `stored` itself when stored raw), valid until the next call.
 */
export function decodeChunkInto(stored: Uint8Array, compression: string, rawLength: number, scratch: Buffer): Buffer {
  if (compression !== 'zstd') return decodeChunk(stored, compression, rawLength);
  if (scratch.length < rawLength) throw new Error(`scratch of ${scratch.length} bytes cannot hold a ${rawLength}-byte chunk`);
  // Exactly one frame of rawLength bytes fits; anything that decodes to more fails in zstd (dst too small).
  const n = dctx.decompress(scratch.subarray(0, rawLength), stored);
  if (n !== rawLength) throw new Error(`chunk decodes to ${n} bytes, index says ${rawLength}`);
  return scratch.subarray(0, n);
}

/**
 * The chunk zstd'd with `dict` (the client's copy of the old bytes at the same place) as a raw
 * content dictionary, which is what makes a chunk that is half unchanged cost only its changes;
 * null when that does not beat raw, or zstd refuses the dictionary. Fetch answers remember the
 * result per chunk and bases (DeltaFrameCache): building the dictionary's tables is the expensive part.
 */
export function compressAgainst(stored: Uint8Array, compression: string, rawLength: number, dict: Uint8Array): Buffer | null {
  if (rawLength < 64 || dict.length === 0) return null;
  const z = compressWithDict(decodeChunk(stored, compression, rawLength), dict);
  return z && z.length < rawLength ? z : null;
}

/**
 * Wire form of one chunk for a fetch answer (docs/storage.md, "Compressed fetch answers"): the
 * smallest of raw, the stored zstd bytes as they are (never re-compressed), zstd of a raw-stored
 * chunk, and `against`, the chunk zstd'd against its bases (compressAgainst), when there is one.
 */
export function wireChunk(stored: Buffer, compression: string, rawLength: number, against?: Buffer | null): { bytes: Buffer; encoding: FrameEncoding } {
  let best: { bytes: Buffer; encoding: FrameEncoding } =
    compression === 'zstd' ? { bytes: stored, encoding: 'zstd' } : { bytes: stored, encoding: 'raw' };
  if (rawLength < 64) return best;
  if (against && against.length < best.bytes.length) best = { bytes: against, encoding: 'zstd-dict' };
  // Plain zstd of a raw chunk, unless the dictionary won (it finds at least what plain zstd does).
  // The push recorded why a chunk is raw: low-gain ones save 3–10 % (level 1 saves what level 3
  // does on them, at twice the speed), incompressible ones are sent as they are. Chunks stored
  // before that ('none') are probed: random-looking bytes are not worth a 64 KiB attempt.
  if (best.encoding === 'raw') {
    let z: Buffer | null = null;
    if (compression === 'raw-low-gain') z = Buffer.from(storeCompress(stored)); // copied out: the answer is sent later
    else if (compression === 'none' && !((probeRatio(stored) ?? 0) > INCOMPRESSIBLE_ABOVE)) z = compress(stored);
    if (z && z.length < best.bytes.length) best = { bytes: z, encoding: 'zstd' };
  }
  return best;
}

const dictCompressor = new Compressor();
/** zstd with `dict` as raw content; null if zstd refuses the dictionary. */
function compressWithDict(raw: Uint8Array, dict: Uint8Array): Buffer | null {
  try {
    dictCompressor.setParameters({ compressionLevel: LEVEL }); // also drops the previous dictionary
    dictCompressor.loadDictionary(dict);
    return dictCompressor.compress(raw);
  } catch {
    return null;
  }
}

export const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
