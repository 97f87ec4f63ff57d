import type { Compression } from './chunk-codec.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';

/** Rows of migration 0006_chunks. Sizes in bytes; times ISO text. */
export interface PacksTable {
  id: string;
  size: number;
  chunk_count: number;
  created_at: string;
}

export interface ChunksTable {
  /** Lowercase hex SHA-256 of the uncompressed bytes. */
  id: string;
  pack_id: string;
  /** Byte offset of the stored (possibly compressed) bytes inside the pack object. */
  pack_offset: number;
  stored_length: number;
  raw_length: number;
  compression: Compression;
  touched_at: string;
}

export interface BlobChunksTable {
  blob_sha256: string;
  seq: number;
  chunk_id: string;
  blob_offset: number;
  size: number;
}

export interface StorageTables {
  packs: PacksTable;
  chunks: ChunksTable;
  blob_chunks: BlobChunksTable;
  blobs: Database['blobs'] & { touched_at: string | null };
}

export type StorageDb = Kysely<Database & StorageTables>;

/** The app's connection seen with the storage tables (db/schema.ts stays owned by the registry). */
export const storageDb = (db: Kysely<Database>) => db as unknown as StorageDb;
