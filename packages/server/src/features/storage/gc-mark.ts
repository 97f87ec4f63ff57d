import { iso } from '../../lib/context.ts';
import type { StorageDb } from './storage.tables.ts';

/**
 * Mark: every blob digest something still needs. Committed versions' files and uploaded datasets,
 * drafts that have not expired or are younger than the grace period (a push in progress), and the
 * registered evaluation datasets. Drafts are marked past the grace period while they live, so an
 * old draft can still be committed.
 */
export async function markBlobs(db: StorageDb, now: Date, cutoffIso: string): Promise<Set<string>> {
  const live = new Set<string>();
  const nowIso = iso(now);
  const versions = await db
    .selectFrom('versions')
    .select(['id', 'datasets'])
    .where((eb) => eb.or([eb('state', '=', 'committed'), eb('created_at', '>=', cutoffIso), eb('expires_at', 'is', null), eb('expires_at', '>', nowIso)]))
    .execute();
  const ids = versions.map((v) => v.id);
  for (let i = 0; i < ids.length; i += 500) {
    for (const f of await db.selectFrom('version_files').select('sha256').where('version_id', 'in', ids.slice(i, i + 500)).execute()) live.add(f.sha256);
  }
  for (const v of versions) {
    for (const d of JSON.parse(v.datasets || '[]') as { sha256?: string; uploaded?: boolean }[]) if (d.uploaded && d.sha256) live.add(d.sha256);
  }
  for (const d of await (db as any).selectFrom('eval_datasets').select('sha256').execute() as { sha256: string }[]) live.add(d.sha256);
  return live;
}
