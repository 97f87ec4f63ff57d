import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '@steward/core';
import { createFileObjectStore } from './object-store.fs.ts';
import type { ObjectStore } from './object-store.ts';

export type StoreLocation =
  | { kind: 'file'; /** as written; relative paths are resolved against the data dir */ dir: string }
  | { kind: 's3'; bucket: string; prefix: string; endpoint?: string; region?: string; forcePathStyle?: boolean };

const S3_PARAMS = new Set(['endpoint', 'region', 'forcePathStyle']);
/** DNS-compatible bucket names, as S3 requires for new buckets. */
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function bad(url: string, why: string): never {
  throw new InvalidInputError(`invalid object store URL ${JSON.stringify(url)}: ${why}`, { url, reason: why }, 'invalid_store_url');
}

function safeDecode(url: string, s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    bad(url, 'bad percent-encoding');
  }
}

function parseS3(url: string): StoreLocation {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    bad(url, 'not a URL');
  }
  if (u.username || u.password) bad(url, 'do not put credentials in the URL; use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY');
  const bucket = u.hostname;
  if (!BUCKET_RE.test(bucket)) bad(url, `"${bucket}" is not a valid bucket name`);
  if (u.port) bad(url, 'a port belongs in ?endpoint=, not after the bucket');
  for (const k of u.searchParams.keys()) if (!S3_PARAMS.has(k)) bad(url, `unknown parameter "${k}" (allowed: ${[...S3_PARAMS].join(', ')})`);
  if (u.hash) bad(url, 'no #fragment allowed');
  // Check the raw path: URL parsing silently resolves `a/../b`, hiding what the user wrote.
  const rawPath = url.slice('s3://'.length).split(/[?#]/)[0]!;
  const rawSegments = rawPath.split('/').slice(1).map((seg) => safeDecode(url, seg));
  if (rawSegments.some((seg) => seg === '..' || seg === '.')) bad(url, 'prefix must not contain "." or ".." segments');
  const prefix = safeDecode(url, u.pathname).replace(/^\/+|\/+$/g, '');
  const loc: StoreLocation = { kind: 's3', bucket, prefix };
  const endpoint = u.searchParams.get('endpoint');
  if (endpoint !== null) {
    if (!/^https?:\/\/[^/]+/.test(endpoint)) bad(url, 'endpoint must be an http:// or https:// URL');
    loc.endpoint = endpoint;
  }
  const region = u.searchParams.get('region');
  if (region !== null) loc.region = region;
  const fps = u.searchParams.get('forcePathStyle');
  if (fps !== null) {
    if (fps !== 'true' && fps !== 'false') bad(url, 'forcePathStyle must be true or false');
    loc.forcePathStyle = fps === 'true';
  }
  return loc;
}

/**
 * Parses where objects live. Accepted forms:
 * - a plain path (`/var/lib/steward/objects`, `objects`), or `file:DIR`, or `file:///abs/dir`
 * - `s3://bucket/optional/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&forcePathStyle=true`
 * @example parseStoreUrl('s3://models/prod') // { kind: 's3', bucket: 'models', prefix: 'prod' }
 */
export function parseStoreUrl(url: string): StoreLocation {
  const trimmed = url.trim();
  if (trimmed === '') bad(url, 'empty');
  if (trimmed.startsWith('s3://')) return parseS3(trimmed);
  if (trimmed.startsWith('file://')) {
    try {
      return { kind: 'file', dir: fileURLToPath(trimmed) };
    } catch (err) {
      bad(url, (err as Error).message);
    }
  }
  if (trimmed.startsWith('file:')) {
    const dir = trimmed.slice('file:'.length);
    if (dir === '') bad(url, 'file: needs a directory');
    return { kind: 'file', dir };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed);
  if (scheme && scheme[1]!.length > 1) bad(url, `unsupported scheme "${scheme[1]}:" (use a path, file:DIR or s3://bucket/prefix)`);
  return { kind: 'file', dir: trimmed };
}

export interface StoreFromUrlOptions {
  /** Base for relative file paths. */
  dataDir: string;
  /** Environment to read AWS_* from (defaults to process.env; injectable for tests). */
  env?: Record<string, string | undefined>;
}

/**
 * Builds the ObjectStore a URL names. S3 credentials come from AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; with a custom endpoint and no such variables, dummy
 * credentials are used (local MinIO/moto accept anything); against AWS without them, the SDK's
 * default chain (profiles, instance roles) applies. Region: `?region=`, AWS_REGION,
 * AWS_DEFAULT_REGION, else us-east-1.
 */
export async function createObjectStoreFromUrl(url: string, opts: StoreFromUrlOptions): Promise<ObjectStore> {
  const loc = parseStoreUrl(url);
  if (loc.kind === 'file') return createFileObjectStore(isAbsolute(loc.dir) ? loc.dir : resolve(opts.dataDir, loc.dir));
  const env = opts.env ?? process.env;
  const { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: token } = env;
  const credentials =
    id && secret
      ? { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) }
      : loc.endpoint !== undefined
        ? { accessKeyId: 'steward', secretAccessKey: 'steward' }
        : undefined;
  // The AWS SDK (~18 MiB, ~0.2 s to load) is loaded only by servers that use S3.
  const { createS3ObjectStore } = await import('./object-store.s3.ts');
  return createS3ObjectStore({
    bucket: loc.bucket,
    prefix: loc.prefix,
    region: loc.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(loc.endpoint === undefined ? {} : { endpoint: loc.endpoint }),
    ...(loc.forcePathStyle === undefined ? {} : { forcePathStyle: loc.forcePathStyle }),
    ...(credentials === undefined ? {} : { credentials }),
  });
}
