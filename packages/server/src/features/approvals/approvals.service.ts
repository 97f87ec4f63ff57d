import { assertChannelName, NotFoundError, StewardError } from '@steward/core';
import type { Approval } from '@steward/core/api';
import { isUniqueViolation } from '../../db/connect.ts';
import { iso, type Principal } from '../../lib/context.ts';
import { newId } from '../../lib/ids.ts';
import { recordAudit } from '../audit/audit.ts';
import type { GatesDb } from '../gates/gates.tables.ts';
import type { VersionService } from '../versions/versions.service.ts';

export type { Approval };

/** Distinct approvers of a version for a channel, the version's author never among them. */
export async function approversOf(db: GatesDb, modelName: string, version: string, channel: string): Promise<string[]> {
  const rows = await db
    .selectFrom('approvals')
    .innerJoin('models', 'models.id', 'approvals.model_id')
    .select('approvals.approver')
    .where('models.name', '=', modelName)
    .where('approvals.version', '=', version)
    .where('approvals.channel', '=', channel)
    .execute();
  return rows.map((r) => r.approver);
}

/**
 * Approvals: role `approver` or `admin` (checked by the route); the version's author (the name
 * of the token that pushed it) may not approve it. One approval per person, version and channel.
 */
export function createApprovalService(deps: { db: GatesDb; versions: VersionService; now: () => Date }) {
  const { db, versions, now } = deps;
  const toApproval = (model: string, r: { id: string; version: string; channel: string; approver: string; comment: string; created_at: string }): Approval => ({
    id: r.id,
    model,
    version: r.version,
    channel: r.channel,
    approver: r.approver,
    comment: r.comment,
    createdAt: r.created_at,
  });
  async function modelId(name: string) {
    const m = await db.selectFrom('models').select('id').where('name', '=', name).executeTakeFirst();
    if (!m) throw new NotFoundError(`model "${name}" not found`, { model: name }, 'model_not_found');
    return m.id;
  }
  return {
    async approve(modelName: string, ref: string, channel: string, comment: string, by: Principal): Promise<{ approval: Approval; created: boolean }> {
      assertChannelName(channel);
      const v = await versions.get(modelName, ref);
      if (v.author === by.name) {
        throw new StewardError('self_approval', `${by.name} pushed ${modelName}@${v.version} and cannot approve it; ask another approver`, 403, { author: v.author });
      }
      const id = await modelId(modelName);
      const row = { id: newId('apr'), model_id: id, version: v.version, channel, approver: by.name, comment, created_at: iso(now()) };
      try {
        await db.transaction().execute(async (trx) => {
          await trx.insertInto('approvals').values(row).execute();
          await recordAudit(trx, row.created_at, { actor: by.name, action: 'approval.add', target: `${modelName}@${v.version}/${channel}`, details: { comment } });
        });
        return { approval: toApproval(modelName, row), created: true };
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        const existing = await db.selectFrom('approvals').selectAll().where('model_id', '=', id).where('version', '=', v.version).where('channel', '=', channel).where('approver', '=', by.name).executeTakeFirstOrThrow();
        return { approval: toApproval(modelName, existing), created: false };
      }
    },
    async list(modelName: string, ref: string, channel?: string): Promise<Approval[]> {
      const v = await versions.get(modelName, ref);
      let q = db.selectFrom('approvals').selectAll().where('model_id', '=', await modelId(modelName)).where('version', '=', v.version);
      if (channel) q = q.where('channel', '=', channel);
      return (await q.orderBy('created_at').execute()).map((r) => toApproval(modelName, r));
    },
  };
}

export type ApprovalService = ReturnType<typeof createApprovalService>;
