import { addAbortSignal, Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { NotFoundError, PayloadTooLargeError } from '@steward/core';
import { assertRangeShape, rangeNotSatisfiable } from './byte-range.ts';
import { assertValidKey, assertValidPrefix } from './object-key.ts';
import type { ObjectStat, ObjectStore, PutOptions, PutResult } from './object-store.ts';
import { PartChunker } from './part-chunker.ts';
import { PutDigest, iterateBody, type PutBody } from './put-body.ts';

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket (`steward/`); a trailing `/` is added when missing. */
  prefix?: string;
  /** S3-compatible endpoint (MinIO, moto, R2…); path-style addressing is then the default. */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  forcePathStyle?: boolean;
  /** Use this client instead of building one; it is not destroyed by `close()`. */
  client?: S3Client;
  /** Multipart part size in bytes (default 8 MiB; S3 requires >= 5 MiB for all but the last part). */
  partSize?: number;
  /** Keys per ListObjectsV2 page (S3 default and maximum 1000); lowered by tests to exercise paging. */
  listPageSize?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** S3's hard limit on parts per multipart upload. */
const MAX_PARTS = 10_000;

interface S3ErrorLike {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}
const s3Status = (err: unknown): number | undefined => (err as S3ErrorLike | null)?.$metadata?.httpStatusCode;
const s3Name = (err: unknown): string | undefined => (err as S3ErrorLike | null)?.name;

function notFound(key: string): NotFoundError {
  return new NotFoundError(`object ${JSON.stringify(key)} not found`, { key }, 'object_not_found');
}

/** `bytes 0-9/100` -> { end: 9, size: 100 }. */
function parseContentRange(header: string | undefined): { end: number; size: number } | null {
  const m = header ? /^bytes \d+-(\d+)\/(\d+)$/.exec(header) : null;
  return m ? { end: Number(m[1]), size: Number(m[2]) } : null;
}

export function createS3ObjectStore(opts: S3ObjectStoreOptions): ObjectStore & { readonly kind: 's3' } {
  const Bucket = opts.bucket;
  const base = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const storePrefix = base === '' ? '' : `${base}/`;
  const ownsClient = opts.client === undefined;
  const client =
    opts.client ??
    new S3Client({
      region: opts.region ?? 'us-east-1',
      ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
      ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
      forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
      // S3-compatible servers often lag behind AWS's newer default CRC checksums; our own SHA-256
      // check is what guards integrity, so only send checksums where the API requires them.
      ...(opts.endpoint === undefined
        ? {}
        : { requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const }),
    });
  const basePartSize = opts.partSize ?? DEFAULT_PART_SIZE;
  const keyOf = (key: string): string => {
    assertValidKey(key);
    return storePrefix + key;
  };
  const withSignal = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : undefined);

  /**
   * Streams the body into a multipart upload while hashing it. One part uploads while the next
   * fills, so at most ~2 parts are in memory. CompleteMultipartUpload — the moment the object
   * becomes visible — is sent only after size and digest check out; any failure or abort before
   * that aborts the upload. Bodies smaller than one part go through a single verified PutObject.
   */
  async function put(key: string, body: PutBody, putOpts: PutOptions = {}): Promise<PutResult> {
    const Key = keyOf(key);
    const { signal } = putOpts;
    const digest = new PutDigest(key, putOpts);
    signal?.throwIfAborted();
    // A known size lets huge objects stay under MAX_PARTS; memory stays ~2 parts either way.
    const partSize = Math.max(basePartSize, Math.ceil((putOpts.expectedSize ?? 0) / MAX_PARTS));
    const chunker = new PartChunker(partSize);
    const parts: CompletedPart[] = [];
    let uploadId: string | undefined;
    let inflight: Promise<void> | undefined;

    const uploadPart = async (part: Buffer): Promise<void> => {
      if (inflight) await inflight;
      if (parts.length >= MAX_PARTS) {
        throw new PayloadTooLargeError(`object ${JSON.stringify(key)} needs more than ${MAX_PARTS} parts; pass expectedSize`, { key });
      }
      if (uploadId === undefined) {
        const created = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }), withSignal(signal));
        uploadId = created.UploadId;
        if (!uploadId) throw new Error('S3 CreateMultipartUpload returned no UploadId');
      }
      const PartNumber = parts.length + 1;
      parts.push({ PartNumber });
      const cmd = new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body: part, ContentLength: part.byteLength });
      inflight = client.send(cmd, withSignal(signal)).then((r) => {
        parts[PartNumber - 1] = { PartNumber, ETag: r.ETag };
      });
      inflight.catch(() => {}); // observed by the next await of `inflight`
    };

    try {
      for await (const chunk of iterateBody(body, signal)) {
        digest.update(chunk);
        // Slice huge chunks so each push completes at most one part (bounded copies).
        for (let i = 0; i < chunk.byteLength; i += partSize) {
          for (const part of chunker.push(chunk.subarray(i, i + partSize))) await uploadPart(part);
        }
      }
      const tail = chunker.flush();
      if (uploadId === undefined && parts.length === 0) {
        const result = digest.finish();
        signal?.throwIfAborted();
        // Commit point: not abortable, so an abort cannot leave us unsure whether it landed.
        await client.send(new PutObjectCommand({ Bucket, Key, Body: tail, ContentLength: tail.byteLength }));
        return result;
      }
      if (tail.byteLength > 0) await uploadPart(tail);
      await inflight;
      const result = digest.finish();
      signal?.throwIfAborted();
      await client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
      return result;
    } catch (err) {
      await inflight?.catch(() => {});
      if (uploadId !== undefined) {
        // Not tied to the (maybe aborted) signal: cleanup must run. Best effort; bucket lifecycle
        // rules for incomplete uploads are the backstop.
        await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => {});
      }
      throw err;
    }
  }

  async function getObject(key: string, range: string | undefined, signal?: AbortSignal) {
    const Key = keyOf(key);
    signal?.throwIfAborted();
    try {
      return await client.send(new GetObjectCommand({ Bucket, Key, ...(range ? { Range: range } : {}) }), withSignal(signal));
    } catch (err) {
      if (s3Name(err) === 'NoSuchKey' || s3Status(err) === 404) throw notFound(key);
      throw err;
    }
  }

  function bodyStream(res: { Body?: unknown }, signal?: AbortSignal): Readable {
    const body = res.Body;
    const rs = body instanceof Readable ? body : Readable.from([], { objectMode: false });
    return signal ? addAbortSignal(signal, rs) : rs;
  }

  async function stat(key: string): Promise<ObjectStat | null> {
    const Key = keyOf(key);
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket, Key }));
      return { key, size: head.ContentLength ?? 0 };
    } catch (err) {
      if (s3Status(err) === 404 || s3Name(err) === 'NotFound' || s3Name(err) === 'NoSuchKey') return null;
      throw err;
    }
  }

  return {
    kind: 's3',
    put,
    async get(key, o) {
      return bodyStream(await getObject(key, undefined, o?.signal), o?.signal);
    },
    async getRange(key, start, end, o) {
      assertRangeShape(key, start, end);
      let res;
      try {
        res = await getObject(key, `bytes=${start}-${end}`, o?.signal);
      } catch (err) {
        if (s3Status(err) === 416 || s3Name(err) === 'InvalidRange') rangeNotSatisfiable(key, start, end, undefined);
        throw err;
      }
      // S3 clamps an `end` past the object; our contract is strict, so detect the clamp.
      const got = parseContentRange(res.ContentRange);
      if (!got || got.end !== end) {
        const rs = bodyStream(res);
        rs.destroy();
        rangeNotSatisfiable(key, start, end, got?.size);
      }
      return bodyStream(res, o?.signal);
    },
    async has(key) {
      return (await stat(key)) !== null;
    },
    stat,
    async *list(prefix) {
      assertValidPrefix(prefix);
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket,
            Prefix: storePrefix + prefix,
            ...(opts.listPageSize === undefined ? {} : { MaxKeys: opts.listPageSize }),
            ...(ContinuationToken ? { ContinuationToken } : {}) }),
        );
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined) continue;
          yield { key: o.Key.slice(storePrefix.length), size: o.Size ?? 0 };
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: keyOf(key) }));
    },
    async close() {
      if (ownsClient) client.destroy();
    },
  };
}
