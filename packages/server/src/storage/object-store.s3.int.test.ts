import { randomUUID } from 'node:crypto';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { createS3ObjectStore } from './object-store.s3.ts';
import { MiB, PatternObject, stallingBodyThenAbort } from './object-store.suite-helpers.ts';
import { describeObjectStore } from './object-store.suite.ts';
import { startS3TestServerOrSkip } from './s3-test-server.ts';
import { createObjectStoreFromUrl } from './store-url.ts';

// Started at collection time so the suite can be skipped (visibly) when moto is not installed.
const s3 = await startS3TestServerOrSkip('object-store.s3.int');

afterAll(async () => {
  await s3?.stop();
});

describe.skipIf(!s3)('S3 object store', () => {
  const make = (prefix = `t-${randomUUID()}`, listPageSize?: number) =>
    createS3ObjectStore({
      bucket: s3!.bucket,
      prefix,
      endpoint: s3!.endpoint,
      region: s3!.region,
      credentials: s3!.credentials,
      ...(listPageSize === undefined ? {} : { listPageSize }),
    });

  describeObjectStore('s3 (moto)', async () => {
    const store = make();
    return { store, cleanup: async () => store.close?.() };
  });

  it('aborts multipart uploads that fail verification or are aborted, so no parts linger', async () => {
    const prefix = `mp-${randomUUID()}`;
    const store = make(prefix);
    const client = new S3Client({ endpoint: s3!.endpoint, region: s3!.region, credentials: s3!.credentials, forcePathStyle: true });
    try {
      const obj = new PatternObject(17 * MiB);
      await expect(store.put('x', obj.body(), { expectedSha256: '0'.repeat(64) })).rejects.toMatchObject({ code: 'digest_mismatch' });
      await expect(store.put('y', obj.body(), { expectedSize: 9 * MiB })).rejects.toMatchObject({ code: 'size_mismatch' });
      const ctl = new AbortController();
      await expect(store.put('z', stallingBodyThenAbort(ctl, 10 * MiB), { signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: s3!.bucket, Prefix: `${prefix}/` }));
      expect(uploads.Uploads ?? []).toEqual([]);
    } finally {
      client.destroy();
      await store.close?.();
    }
  });

  it('isolates stores by prefix and paginates listings past one page', async () => {
    const a = make(undefined, 4);
    const b = make();
    try {
      const keys = Array.from({ length: 11 }, (_, i) => `k/${String(i).padStart(2, '0')}`);
      await Promise.all(keys.map((k) => a.put(k, Buffer.from(k))));
      await b.put('k/other', Buffer.from('b'));
      const listed: string[] = [];
      for await (const s of a.list('k/')) listed.push(s.key);
      expect(listed).toEqual(keys);
      expect(await a.has('k/other')).toBe(false);
    } finally {
      await a.close?.();
      await b.close?.();
    }
  });

  it('is reachable from a store URL with default dummy credentials', async () => {
    const store = await createObjectStoreFromUrl(`s3://${s3!.bucket}/url-${randomUUID()}?endpoint=${s3!.endpoint}`, { dataDir: '/unused', env: {} });
    try {
      expect(await store.put('x/y', Buffer.from('via url'))).toMatchObject({ size: 7 });
      expect(await store.stat('x/y')).toEqual({ key: 'x/y', size: 7 });
    } finally {
      await store.close?.();
    }
  });
});
