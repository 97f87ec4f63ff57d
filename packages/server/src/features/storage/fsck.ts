import { createHash } from 'node:crypto';
import type { FsckProblem, FsckReport } from '@steward/core/api';
import type { ObjectStore } from '../../storage/object-store.ts';
import { blobKey } from '../blobs/blobs.service.ts';
import { decodeChunk, sha256Hex } from './chunk-codec.ts';
import { readChunks } from './chunk-reader.ts';
import { packKey } from './pack-key.ts';
import type { StorageDb } from './storage.tables.ts';

export type { FsckProblem, FsckReport };

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}

/**
 * Verifies everything a read depends on: each pack object exists with its recorded size; each
 * chunk decodes and hashes to its id; each recipe is a contiguous run of stored chunks whose
 * sizes sum to the blob's and whose bytes hash to the blob's digest; each committed version's
 * files are stored blobs of the listed size. Orphan pack objects and unreferenced chunks are
 * garbage (GC's business), not problems.
 */
export async function fsck(deps: { db: StorageDb; objects: ObjectStore }): Promise<FsckReport> {
  const { db, objects } = deps;
  const problems: FsckProblem[] = [];
  const add = (kind: string, id: string, message: string) => problems.push({ kind, id, message });
  const checked = { chunks: 0, packs: 0, blobs: 0, versions: 0 };
  const good = new Map<string, number>(); // chunk id -> raw length, for chunks that verified

  const packs = await db.selectFrom('packs').select(['id', 'size']).execute();
  for (const p of packs) {
    checked.packs++;
    const st = await objects.stat(packKey(p.id));
    if (!st) {
      add('pack_missing', p.id, `pack object ${packKey(p.id)} is missing`);
      continue;
    }
    if (st.size !== Number(p.size)) add('pack_size', p.id, `pack object is ${st.size} bytes, index says ${p.size}`);
    const body = await readAll(await objects.get(packKey(p.id)));
    const rows = await db.selectFrom('chunks').select(['id', 'pack_offset', 'stored_length', 'raw_length', 'compression']).where('pack_id', '=', p.id).execute();
    for (const r of rows) {
      checked.chunks++;
      const at = Number(r.pack_offset);
      if (at < 0 || at + r.stored_length > body.length) {
        add('chunk_out_of_bounds', r.id, `chunk lies at ${at}+${r.stored_length}, outside pack ${p.id} (${body.length} bytes)`);
        continue;
      }
      try {
        const raw = decodeChunk(body.subarray(at, at + r.stored_length), r.compression, r.raw_length);
        const got = sha256Hex(raw);
        if (got !== r.id) add('chunk_corrupt', r.id, `chunk bytes hash to ${got}`);
        else good.set(r.id, r.raw_length);
      } catch (err) {
        add('chunk_corrupt', r.id, `chunk does not decode: ${(err as Error).message}`);
      }
    }
  }
  const orphans = await db.selectFrom('chunks').leftJoin('packs', 'packs.id', 'chunks.pack_id').select(['chunks.id', 'chunks.pack_id']).where('packs.id', 'is', null).execute();
  for (const o of orphans) {
    checked.chunks++;
    add('chunk_without_pack', o.id, `chunk points at pack ${o.pack_id}, which has no row`);
  }

  const blobs = await db.selectFrom('blobs').select(['sha256', 'size']).execute();
  for (const b of blobs) {
    checked.blobs++;
    const recipe = await db.selectFrom('blob_chunks').select(['chunk_id', 'blob_offset', 'size', 'seq']).where('blob_sha256', '=', b.sha256).orderBy('seq').execute();
    const size = Number(b.size);
    if (recipe.length === 0) {
      if (size > 0) {
        const st = await objects.stat(blobKey(b.sha256));
        if (!st || st.size !== size) add('blob_missing', b.sha256, `blob has no recipe and no ${size}-byte legacy object`);
      }
      continue;
    }
    let offset = 0;
    let broken = false;
    for (const r of recipe) {
      const len = good.get(r.chunk_id);
      if (len === undefined) {
        add('recipe_chunk_missing', b.sha256, `chunk ${r.chunk_id} (#${r.seq}) is not stored intact`);
        broken = true;
      } else if (len !== Number(r.size) || Number(r.blob_offset) !== offset) {
        add('recipe_inconsistent', b.sha256, `chunk #${r.seq} has size ${r.size} at ${r.blob_offset}; expected size ${len} at ${offset}`);
        broken = true;
      }
      offset += Number(r.size);
    }
    if (offset !== size) add('recipe_size', b.sha256, `recipe adds up to ${offset} bytes, blob says ${size}`);
    else if (!broken) {
      const h = createHash('sha256');
      // Chunk hashes passed above; this catches a recipe whose order or ids are wrong.
      for await (const c of readChunks(db, objects, recipe.map((r) => r.chunk_id))) h.update(c.bytes);
      const got = h.digest('hex');
      if (got !== b.sha256) add('blob_digest', b.sha256, `recipe bytes hash to ${got}`);
    }
  }

  const files = await db
    .selectFrom('version_files')
    .innerJoin('versions', 'versions.id', 'version_files.version_id')
    .leftJoin('blobs', 'blobs.sha256', 'version_files.sha256')
    .select(['versions.id as vid', 'version_files.path', 'version_files.sha256', 'version_files.size', 'blobs.size as blobSize'])
    .where('versions.state', '=', 'committed')
    .execute();
  const versions = new Set<string>();
  for (const f of files) {
    versions.add(f.vid);
    if (f.blobSize === null || f.blobSize === undefined) add('version_file_missing', f.vid, `file ${f.path} (${f.sha256}) is not stored`);
    else if (Number(f.blobSize) !== Number(f.size)) add('version_file_size', f.vid, `file ${f.path} is ${f.size} bytes in the version, ${f.blobSize} in the store`);
  }
  checked.versions = versions.size;
  return { ok: problems.length === 0, checked, problems };
}
