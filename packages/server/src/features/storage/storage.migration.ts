import type { Kysely, Migration } from 'kysely';

/**
 * Migration 0006_chunks: chunked storage. A pack is an immutable object holding chunks back to
 * back; `chunks` is its index (one row per chunk id: where its bytes live); a blob is a recipe
 * (`blob_chunks`, ordered). `touched_at` on chunks and blobs is the last time a push used them:
 * GC only sweeps rows untouched for the grace period, which is what makes it safe while pushes run.
 * Same DDL on SQLite and PostgreSQL: text ids, ISO text times.
 */
export const chunksMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('packs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('chunk_count', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('chunks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('pack_id', 'text', (c) => c.notNull())
      .addColumn('pack_offset', 'bigint', (c) => c.notNull())
      .addColumn('stored_length', 'integer', (c) => c.notNull())
      .addColumn('raw_length', 'integer', (c) => c.notNull())
      .addColumn('compression', 'text', (c) => c.notNull())
      .addColumn('touched_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('chunks_by_pack').on('chunks').columns(['pack_id', 'pack_offset']).execute();
    await db.schema
      .createTable('blob_chunks')
      .addColumn('blob_sha256', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('chunk_id', 'text', (c) => c.notNull())
      // Offset of the chunk inside the blob, so a Range read is one indexed query.
      .addColumn('blob_offset', 'bigint', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('blob_chunks_pk', ['blob_sha256', 'seq'])
      .execute();
    await db.schema.createIndex('blob_chunks_by_offset').on('blob_chunks').columns(['blob_sha256', 'blob_offset']).execute();
    await db.schema.createIndex('blob_chunks_by_chunk').on('blob_chunks').column('chunk_id').execute();
    // Whole-object blobs stored before this migration keep working (no recipe rows = legacy object).
    await db.schema.alterTable('blobs').addColumn('touched_at', 'text').execute();
  },
};
