import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { newId } from '../../lib/ids.ts';

export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  details?: Record<string, unknown>;
}

/** Written inside the caller's transaction, so an audit row exists iff the change it describes does. */
export async function recordAudit(trx: Kysely<Database> | Transaction<Database>, at: string, e: AuditEntry): Promise<void> {
  await trx
    .insertInto('audit_events')
    .values({ id: newId('aud'), at, actor: e.actor, action: e.action, target: e.target, details: JSON.stringify(e.details ?? {}) })
    .execute();
}
