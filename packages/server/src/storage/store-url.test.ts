import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FileObjectStore } from './object-store.fs.ts';
import { createObjectStoreFromUrl, parseStoreUrl } from './store-url.ts';

describe('parseStoreUrl', () => {
  it('reads paths and file: forms', () => {
    expect(parseStoreUrl('/var/lib/steward/objects')).toEqual({ kind: 'file', dir: '/var/lib/steward/objects' });
    expect(parseStoreUrl('objects')).toEqual({ kind: 'file', dir: 'objects' });
    expect(parseStoreUrl('file:objects')).toEqual({ kind: 'file', dir: 'objects' });
    expect(parseStoreUrl('file:/srv/o')).toEqual({ kind: 'file', dir: '/srv/o' });
    expect(parseStoreUrl('file:///srv/my%20objects')).toEqual({ kind: 'file', dir: '/srv/my objects' });
  });

  it('reads s3 URLs with endpoint, region and path style', () => {
    expect(parseStoreUrl('s3://models')).toEqual({ kind: 's3', bucket: 'models', prefix: '' });
    expect(parseStoreUrl('s3://models/prod/v1/?endpoint=http://127.0.0.1:9000&region=eu-west-1&forcePathStyle=false')).toEqual({
      kind: 's3',
      bucket: 'models',
      prefix: 'prod/v1',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: false,
    });
  });

  it.each([
    ['', 'empty'],
    ['http://example.com/x', 'unsupported scheme'],
    ['s3://Bad_Bucket/x', 'bucket'],
    ['s3://key:secret@models/x', 'credentials'],
    ['s3://models/x?endpont=http://h', 'unknown parameter'],
    ['s3://models/x?endpoint=ftp://h', 'endpoint'],
    ['s3://models/a/../b', '..'],
    ['s3://models:9000/x', 'port'],
    ['file:', 'directory'],
  ])('rejects %j', (url, why) => {
    expect(() => parseStoreUrl(url)).toThrow(expect.objectContaining({ code: 'invalid_store_url', message: expect.stringContaining(why) }));
  });

  it('round-trips any valid bucket and prefix', () => {
    const seg = fc.stringMatching(/^[a-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/), fc.array(seg, { maxLength: 4 }), (bucket, segs) => {
        const prefix = segs.join('/');
        expect(parseStoreUrl(`s3://${bucket}/${prefix}`)).toEqual({ kind: 's3', bucket, prefix });
      }),
    );
  });
});

describe('createObjectStoreFromUrl', () => {
  it('resolves relative file paths against the data dir', async () => {
    const s = (await createObjectStoreFromUrl('objects', { dataDir: '/data/steward' })) as FileObjectStore;
    expect(s.kind).toBe('file');
    expect(s.rootDir).toBe('/data/steward/objects');
    expect(((await createObjectStoreFromUrl('file:/abs/o', { dataDir: '/data' })) as FileObjectStore).rootDir).toBe('/abs/o');
  });

  it('builds an S3 store without touching the network', async () => {
    const s = await createObjectStoreFromUrl('s3://models/p?endpoint=http://127.0.0.1:1', { dataDir: '/d', env: {} });
    expect(s.kind).toBe('s3');
    await s.close?.();
  });
});
