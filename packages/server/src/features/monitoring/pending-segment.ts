/**
 * A pending segment: the predictions of one model that one flush wrote, packed column by column
 * in one binary value — one row per model per flush instead of one row per prediction. Layout
 * (little-endian): u32 header length, the header as JSON (`n`, the versions and group sets that
 * rows index into, the byte length of the request ids, `zstd` when the rest is compressed), then
 * the body: the request ids as a JSON array, zero padding to 8 bytes (counted from the start of
 * the segment), n × f64 times, n × f64 scores (NaN: none), n × i32 version index, n × i32
 * group-set index (-1: none), n × u8 predicted positive.
 *
 * The body is zstd-compressed (level 1): ~35 bytes per prediction raw, ~7 compressed with short
 * request ids and ~27 with UUIDs. The flush's cost is mostly SQLite writing and fsyncing those
 * bytes (a 3.5 MB segment held the commit 130–190 ms, a 0.7 MB one 35–110 ms), far more than the
 * compression (~0.2 µs per prediction). Segments written before compression (no `zstd` in the
 * header) still decode.
 */
import { Compressor, Decompressor } from 'zstd-napi';
import type { PendingRow } from './monitoring.store.sql.ts';
import type { SegmentColumns } from './pending-table.ts';

interface Header {
  n: number;
  versions: string[];
  groups: Array<Record<string, string>>;
  idBytes: number;
  zstd?: true;
}

// Reused contexts (creating one costs more than compressing a small segment); calls are synchronous.
const compressor = new Compressor();
compressor.setParameters({ compressionLevel: 1 });
const decompressor = new Decompressor();

const pad8 = (x: number) => (x + 7) & ~7;

/** Packs rows of one model (the caller groups by model). */
export function encodeSegment(rows: readonly PendingRow[]): { data: Buffer; maxT: number } {
  const n = rows.length;
  const c: SegmentColumns = { ids: new Array<string>(n), t: new Float64Array(n), score: new Float64Array(n), version: new Int32Array(n), group: new Int32Array(n), positive: new Uint8Array(n), versions: [], groups: [] };
  const versions = new Map<string, number>();
  const groupKeys = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    c.ids[i] = r.requestId;
    c.t[i] = r.t;
    c.score[i] = r.score ?? Number.NaN;
    c.positive[i] = r.predictedPositive ? 1 : 0;
    let vi = versions.get(r.version);
    if (vi === undefined) versions.set(r.version, (vi = c.versions.push(r.version) - 1));
    c.version[i] = vi;
    if (r.groups) {
      let key = '';
      for (const a in r.groups) key += `${a}\u0000${r.groups[a]}\u0000`;
      let gi = groupKeys.get(key);
      if (gi === undefined) groupKeys.set(key, (gi = c.groups.push(r.groups) - 1));
      c.group[i] = gi;
    } else c.group[i] = -1;
  }
  return encodeColumns(c);
}

/** Packs one model's columns (the pending table hands them over without a row object each). */
export function encodeColumns(c: SegmentColumns): { data: Buffer; maxT: number } {
  const n = c.ids.length;
  let maxT = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if ((c.t[i] as number) > maxT) maxT = c.t[i] as number;
  const idText = Buffer.from(JSON.stringify(c.ids));
  const header = Buffer.from(JSON.stringify({ n, versions: c.versions, groups: c.groups, idBytes: idText.length, zstd: true } satisfies Header));
  const cols = pad8(4 + header.length + idText.length);
  const out = Buffer.alloc(cols + n * (8 + 8 + 4 + 4 + 1));
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  idText.copy(out, 4 + header.length);
  let at = cols;
  for (const col of [c.t, c.score, c.version, c.group, c.positive]) {
    const bytes = new Uint8Array(col.buffer, col.byteOffset, col.byteLength);
    out.set(bytes, at);
    at += bytes.length;
  }
  const head = 4 + header.length;
  return { data: Buffer.concat([out.subarray(0, head), compressor.compress(out.subarray(head))]), maxT };
}

/** Unpacks a segment of `model`; throws on a malformed one. */
export function decodeSegment(model: string, data: Uint8Array): PendingRow[] {
  const stored = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const hl = stored.readUInt32LE(0);
  const h = JSON.parse(stored.toString('utf8', 4, 4 + hl)) as Header;
  // Offsets below count from the segment's start, as they did before compression.
  const buf = h.zstd ? Buffer.concat([stored.subarray(0, 4 + hl), decompressor.decompress(stored.subarray(4 + hl))]) : stored;
  const ids = JSON.parse(buf.toString('utf8', 4 + hl, 4 + hl + h.idBytes)) as string[];
  const n = h.n;
  let at = pad8(4 + hl + h.idBytes);
  if (ids.length !== n || buf.length !== at + n * 25) throw new Error('pending segment: length does not match its header');
  // Copies: the columns must start on their element size, which a Buffer slice need not.
  const col = <T>(Ctor: { new (b: ArrayBuffer): T }, width: number): T => {
    const c = new Ctor(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + n * width) as ArrayBuffer);
    at += n * width;
    return c;
  };
  const t = col(Float64Array, 8);
  const s = col(Float64Array, 8);
  const v = col(Int32Array, 4);
  const g = col(Int32Array, 4);
  const p = col(Uint8Array, 1);
  const out = new Array<PendingRow>(n);
  for (let i = 0; i < n; i++) {
    const version = h.versions[v[i]!];
    if (version === undefined) throw new Error('pending segment: version index out of range');
    const gi = g[i]!;
    const score = s[i]!;
    out[i] = { model, requestId: ids[i]!, version, t: t[i]!, score: Number.isNaN(score) ? undefined : score, predictedPositive: p[i] === 1, groups: gi >= 0 ? h.groups[gi] : undefined };
  }
  return out;
}
