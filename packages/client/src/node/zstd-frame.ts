/**
 * The decompressed size of a buffer that holds exactly one zstd frame (RFC 8878 §3.1.1), or null
 * when it holds anything else: no declared content size, a truncated frame, trailing bytes, a
 * second frame or a skippable frame. zstd-napi sizes its output by the sum of every frame's
 * declared size, so checking only the first frame would let a server answer with a small frame
 * followed by a huge one; walking the block headers (not decoding them) rules that out.
 */
export function singleZstdFrameSize(b: Uint8Array): number | null {
  if (b.length < 6 || b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd) return null;
  const fhd = b[4]!;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const checksum = (fhd >> 2) & 1;
  const dictFlag = fhd & 3;
  const fcsAt = 5 + (single ? 0 : 1) + [0, 1, 2, 4][dictFlag]!;
  const fcsBytes = fcsFlag === 0 ? (single ? 1 : 0) : [1, 2, 4, 8][fcsFlag]!;
  if (fcsBytes === 0 || b.length < fcsAt + fcsBytes) return null;
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + b[fcsAt + i]!;
  if (fcsBytes === 2) size += 256;
  let at = fcsAt + fcsBytes;
  for (;;) {
    if (at + 3 > b.length) return null;
    const header = b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
    const last = header & 1;
    const type = (header >> 1) & 3;
    const blockSize = header >>> 3;
    if (type === 3) return null; // reserved
    at += 3 + (type === 1 ? 1 : blockSize); // an RLE block stores one byte
    if (last) break;
  }
  at += checksum ? 4 : 0;
  return at === b.length ? size : null;
}
