import { InvalidInputError } from '../errors.ts';

/**
 * SHA-256 as a parameter: core must run in browsers and must not import `node:crypto`.
 * Takes bytes, returns 64 lowercase hex characters. Node: `(b) => createHash('sha256').update(b).digest('hex')`.
 */
export type Sha256Hex = (bytes: Uint8Array) => string;

const HEX64 = /^[0-9a-f]{64}$/;

export function isHash(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value);
}

/** Calls `sha256Hex` and checks its output, so a wrong hash function fails loudly, not subtly. */
export function hashBytes(sha256Hex: Sha256Hex, bytes: Uint8Array): string {
  const out = sha256Hex(bytes);
  if (!isHash(out)) {
    throw new InvalidInputError('sha256Hex must return 64 lowercase hex characters', { got: String(out).slice(0, 80) });
  }
  return out;
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) {
    throw new InvalidInputError('expected lowercase hex', { hex: hex.slice(0, 80) });
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Merkle tree hash of RFC 6962 (Certificate Transparency), section 2.1:
 * leaf = H(0x00 ‖ data), node = H(0x01 ‖ left ‖ right), and a tree of n > 1 leaves splits at the
 * largest power of two below n. Chosen over Bitcoin's "duplicate the last leaf" because there
 * `[a,b,c]` and `[a,b,c,c]` share a root (CVE-2012-2459); the 0x00/0x01 prefixes keep a leaf from
 * passing for an inner node. It also leaves room for per-event inclusion proofs later.
 */
export function leafHash(data: Uint8Array, sha256Hex: Sha256Hex): string {
  const buf = new Uint8Array(data.length + 1);
  buf[0] = 0x00;
  buf.set(data, 1);
  return hashBytes(sha256Hex, buf);
}

export function nodeHash(left: string, right: string, sha256Hex: Sha256Hex): string {
  const buf = new Uint8Array(65);
  buf[0] = 0x01;
  buf.set(hexToBytes(left), 1);
  buf.set(hexToBytes(right), 33);
  return hashBytes(sha256Hex, buf);
}

/** Root over already-hashed leaves (see {@link leafHash}); the empty tree is H(""). */
export function merkleRoot(leafHashes: readonly string[], sha256Hex: Sha256Hex): string {
  if (leafHashes.length === 0) return hashBytes(sha256Hex, new Uint8Array(0));
  return subtree(leafHashes, 0, leafHashes.length, sha256Hex);
}

function subtree(leaves: readonly string[], start: number, end: number, sha256Hex: Sha256Hex): string {
  const n = end - start;
  if (n === 1) return leaves[start] as string;
  let k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(subtree(leaves, start, start + k, sha256Hex), subtree(leaves, start + k, end, sha256Hex), sha256Hex);
}
