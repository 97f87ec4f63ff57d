/**
 * Regroups a stream of arbitrarily sized chunks into parts of exactly `partSize` bytes (the last
 * one shorter). Holds at most one part's worth of bytes between calls.
 */
export class PartChunker {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(readonly partSize: number) {
    if (!(Number.isSafeInteger(partSize) && partSize > 0)) throw new RangeError('partSize must be a positive integer');
  }

  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Adds a chunk; returns the parts it completed (usually none or one). */
  push(chunk: Buffer): Buffer[] {
    const parts: Buffer[] = [];
    let rest = chunk;
    while (this.pendingBytes + rest.byteLength >= this.partSize) {
      const take = this.partSize - this.pendingBytes;
      this.pending.push(rest.subarray(0, take));
      parts.push(Buffer.concat(this.pending, this.partSize));
      rest = rest.subarray(take);
      this.pending = [];
      this.pendingBytes = 0;
    }
    if (rest.byteLength > 0) {
      // Copy: the caller's chunk may be a view into a buffer that gets reused.
      this.pending.push(Buffer.from(rest));
      this.pendingBytes += rest.byteLength;
    }
    return parts;
  }

  /** The remaining bytes (possibly empty); the chunker is empty afterwards. */
  flush(): Buffer {
    const out = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return out;
  }
}
