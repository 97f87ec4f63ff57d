/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby, public domain), over UTF-8 bytes.
 * Pure and allocation-free on the hot path: strings are encoded into a module-level scratch
 * buffer, so it gives the same answer in Node and browsers without TextEncoder.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Hash the first `length` bytes of `bytes`. Returns an unsigned 32-bit integer. */
export function murmur3x86_32(bytes: Uint8Array, seed = 0, length = bytes.length): number {
  let h = seed | 0;
  const tail = length & ~3;
  let i = 0;
  for (; i < tail; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (length & 3) {
    case 3:
      k ^= bytes[i + 2]! << 16;
    // falls through
    case 2:
      k ^= bytes[i + 1]! << 8;
    // falls through
    case 1:
      k ^= bytes[i]!;
      k = Math.imul(k, C1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, C2);
      h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Scratch buffer, grown on demand. A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate
// pair is 2 units -> 4 bytes), so 3 * length always fits.
let scratch = new Uint8Array(1024);

function ensure(bytes: number): Uint8Array {
  if (bytes > scratch.length) scratch = new Uint8Array(Math.max(bytes, scratch.length * 2));
  return scratch;
}

/**
 * Write `str` as UTF-8 into `buf` at `at`; returns the new offset. Lone surrogates become U+FFFD,
 * exactly like TextEncoder, so hashes match any standard UTF-8 encoder.
 */
export function writeUtf8(str: string, buf: Uint8Array, at: number): number {
  let n = at;
  const len = str.length;
  for (let i = 0; i < len; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80) {
      buf[n++] = c;
      continue;
    }
    if (c < 0x800) {
      buf[n++] = 0xc0 | (c >> 6);
      buf[n++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < len ? str.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        buf[n++] = 0xf0 | (cp >> 18);
        buf[n++] = 0x80 | ((cp >> 12) & 63);
        buf[n++] = 0x80 | ((cp >> 6) & 63);
        buf[n++] = 0x80 | (cp & 63);
        continue;
      }
      c = 0xfffd;
    }
    buf[n++] = 0xe0 | (c >> 12);
    buf[n++] = 0x80 | ((c >> 6) & 63);
    buf[n++] = 0x80 | (c & 63);
  }
  return n;
}

/** murmur3 x86 32 of the UTF-8 bytes of `str`. */
export function murmur3String(str: string, seed = 0): number {
  const buf = ensure(str.length * 3);
  return murmur3x86_32(buf, seed, writeUtf8(str, buf, 0));
}

/** murmur3 x86 32 of the UTF-8 bytes of `a + ":" + b`, without building the joined string. */
export function murmur3Joined(a: string, b: string, seed = 0): number {
  const buf = ensure((a.length + b.length) * 3 + 1);
  let n = writeUtf8(a, buf, 0);
  buf[n++] = 0x3a; // ':'
  n = writeUtf8(b, buf, n);
  return murmur3x86_32(buf, seed, n);
}
