/**
 * The footer of a chunk cache segment (see ChunkCache): after the chunk bytes, one entry per
 * chunk (32-byte id, u32 offset, u32 length, big-endian), then the entry count (u32) and a magic.
 * Offsets are explicit: a chunk whose write failed leaves a hole the footer does not name.
 */
export interface SegmentEntry {
  id: string;
  offset: number;
  length: number;
}

const MAGIC = Buffer.from('STWSEG01');
const ENTRY_BYTES = 40;
/** Entry count and magic. */
export const FOOTER_TAIL = 4 + MAGIC.length;
/** A chunk is at most 256 KiB; an entry claiming more than this is damage. */
const MAX_ENTRY = 16 * 1024 * 1024;

export function footerLength(count: number): number {
  return FOOTER_TAIL + count * ENTRY_BYTES;
}

export function footerBytes(entries: readonly SegmentEntry[]): Buffer {
  const out = Buffer.allocUnsafe(footerLength(entries.length));
  entries.forEach((e, i) => {
    const at = i * ENTRY_BYTES;
    out.write(e.id, at, 32, 'hex');
    out.writeUInt32BE(e.offset, at + 32);
    out.writeUInt32BE(e.length, at + 36);
  });
  out.writeUInt32BE(entries.length, out.length - FOOTER_TAIL);
  MAGIC.copy(out, out.length - MAGIC.length);
  return out;
}

/**
 * Entries of a segment of `fileSize` bytes from the last `tail.length` bytes of it; 'short' when
 * the footer is longer than `tail` (read footerLength(count) bytes and ask again), null when the
 * bytes are not a whole segment.
 */
export function parseFooter(tail: Buffer, fileSize: number): SegmentEntry[] | 'short' | null {
  if (tail.length < FOOTER_TAIL || tail.length > fileSize) return null;
  if (!tail.subarray(tail.length - MAGIC.length).equals(MAGIC)) return null;
  const count = tail.readUInt32BE(tail.length - FOOTER_TAIL);
  const len = footerLength(count);
  if (len > fileSize) return null;
  if (len > tail.length) return 'short';
  const dataEnd = fileSize - len;
  const base = tail.length - len;
  const out: SegmentEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = base + i * ENTRY_BYTES;
    const offset = tail.readUInt32BE(at + 32);
    const length = tail.readUInt32BE(at + 36);
    if (length > MAX_ENTRY || offset + length > dataEnd) return null;
    out.push({ id: tail.toString('hex', at, at + 32), offset, length });
  }
  return out;
}

/** The entry count a footer claims (only meaningful once parseFooter said 'short'). */
export function footerCount(tail: Buffer): number {
  return tail.readUInt32BE(tail.length - FOOTER_TAIL);
}
