export { StewardClient, paginate, type StewardClientOptions } from './client.ts';
export { StewardApiError, StewardUnreachableError } from './errors.ts';
export { canonicalJson } from '@steward/core';
export type { FetchLike, UploadBody } from './http.ts';
export type { ByteRange, Download, DownloadOptions } from './api/download.ts';
export type { BlobPutOptions } from './api/blobs.ts';
export type { ModelListQuery } from './api/models.ts';
export type * from './types.ts';
