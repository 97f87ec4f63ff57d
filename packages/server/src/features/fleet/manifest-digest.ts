import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';

/**
 * The digest quorum counts (DESIGN, Fleet transitions 6): SHA-256, lowercase hex, of the version's
 * signed manifest bytes, i.e. the UTF-8 of `canonicalJson(manifest)` that the server's Ed25519
 * signature covers (stored verbatim in `versions.manifest`). It pins every file digest and the
 * core metadata at once, and an agent computes it from what it downloaded and verified:
 * `sha256(canonicalJson(version.manifest))`.
 */
export const manifestDigest = (manifestText: string): string => createHash('sha256').update(manifestText, 'utf8').digest('hex');

/** Committed versions never change, so their digests are cached for the process's life. */
export function createDigestLookup(db: Kysely<Database>) {
  const cache = new Map<string, string>();
  return async function digestOf(model: string, version: string): Promise<string | undefined> {
    const key = `${model}@${version}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const row = await db
      .selectFrom('versions')
      .innerJoin('models', 'models.id', 'versions.model_id')
      .select('versions.manifest')
      .where('models.name', '=', model)
      .where('versions.version', '=', version)
      .where('versions.state', '=', 'committed')
      .executeTakeFirst();
    if (!row?.manifest) return undefined;
    const d = manifestDigest(row.manifest);
    if (cache.size > 10_000) cache.clear();
    cache.set(key, d);
    return d;
  };
}

export type DigestLookup = ReturnType<typeof createDigestLookup>;
