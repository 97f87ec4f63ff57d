import { addAbortSignal, type Readable } from 'node:stream';
import { NotFoundError } from '@steward/core';
import { assertRangeInside, assertRangeShape } from './byte-range.ts';
import { assertValidKey, assertValidPrefix, compareKeys } from './object-key.ts';
import type { ObjectStat, ObjectStore, PutOptions, PutResult } from './object-store.ts';
import { PutDigest, iterateBody, readableFromBuffer, type PutBody } from './put-body.ts';

function notFound(key: string): NotFoundError {
  return new NotFoundError(`object ${JSON.stringify(key)} not found`, { key }, 'object_not_found');
}

/**
 * In-process store with the same semantics as the file and S3 stores (same key rules, atomic
 * verified puts, strict ranges, sorted listing). For unit tests of features; holds whole objects
 * in memory.
 */
export function createMemoryObjectStore(): ObjectStore & { readonly kind: 'memory' } {
  const objects = new Map<string, Buffer>();

  function read(key: string, signal?: AbortSignal): Buffer {
    assertValidKey(key);
    signal?.throwIfAborted();
    const buf = objects.get(key);
    if (!buf) throw notFound(key);
    return buf;
  }

  function wrap(rs: Readable, signal?: AbortSignal): Readable {
    return signal ? addAbortSignal(signal, rs) : rs;
  }

  return {
    kind: 'memory',
    async put(key: string, body: PutBody, opts: PutOptions = {}): Promise<PutResult> {
      assertValidKey(key);
      const digest = new PutDigest(key, opts);
      const chunks: Buffer[] = [];
      for await (const chunk of iterateBody(body, opts.signal)) {
        digest.update(chunk);
        chunks.push(Buffer.from(chunk)); // copy: callers may reuse their buffers
      }
      const result = digest.finish();
      opts.signal?.throwIfAborted();
      objects.set(key, Buffer.concat(chunks));
      return result;
    },
    async get(key, opts) {
      return wrap(readableFromBuffer(read(key, opts?.signal)), opts?.signal);
    },
    async getRange(key, start, end, opts) {
      assertRangeShape(key, start, end);
      const buf = read(key, opts?.signal);
      assertRangeInside(key, start, end, buf.byteLength);
      return wrap(readableFromBuffer(buf.subarray(start, end + 1)), opts?.signal);
    },
    async has(key) {
      assertValidKey(key);
      return objects.has(key);
    },
    async stat(key): Promise<ObjectStat | null> {
      assertValidKey(key);
      const buf = objects.get(key);
      return buf ? { key, size: buf.byteLength } : null;
    },
    async *list(prefix) {
      assertValidPrefix(prefix);
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
      for (const key of keys) {
        const buf = objects.get(key);
        if (buf) yield { key, size: buf.byteLength };
      }
    },
    async delete(key) {
      assertValidKey(key);
      objects.delete(key);
    },
  };
}
