import { createHash } from 'node:crypto';
import { canonicalJson, NotFoundError } from '@steward/core';
import { iso, type Principal } from '../../lib/context.ts';
import { recordAudit } from '../audit/audit.ts';
import type { GatesDb } from '../gates/gates.tables.ts';
import { parsePolicyYaml } from './policy-yaml.ts';
import type { Policy } from './policy.types.ts';

export interface PolicyRecord {
  model: string;
  /** The YAML as written (comments kept), and what it means. */
  yaml: string;
  policy: Policy;
  /** sha256 of the canonical policy JSON: validation reports name the policy they ran under. */
  digest: string;
  updatedAt: string;
  updatedBy: string;
}

export const policyDigest = (p: Policy): string => createHash('sha256').update(canonicalJson(p)).digest('hex');

async function modelRow(db: GatesDb, name: string) {
  const m = await db.selectFrom('models').select(['id', 'name']).where('name', '=', name).executeTakeFirst();
  if (!m) throw new NotFoundError(`model "${name}" not found`, { model: name }, 'model_not_found');
  return m;
}

/** Reads a model's policy (also used by the channel guard). */
export async function readPolicy(db: GatesDb, modelName: string): Promise<PolicyRecord | undefined> {
  const r = await db
    .selectFrom('policies')
    .innerJoin('models', 'models.id', 'policies.model_id')
    .select(['models.name', 'policies.yaml', 'policies.policy_json', 'policies.digest', 'policies.updated_at', 'policies.updated_by'])
    .where('models.name', '=', modelName)
    .executeTakeFirst();
  if (!r) return undefined;
  return { model: r.name, yaml: r.yaml, policy: JSON.parse(r.policy_json) as Policy, digest: r.digest, updatedAt: r.updated_at, updatedBy: r.updated_by };
}

export function createPolicyService(deps: { db: GatesDb; now: () => Date }) {
  const { db, now } = deps;
  return {
    /** Validates (errors name the YAML line), then replaces the model's policy. */
    async set(modelName: string, yaml: string, by: Principal): Promise<PolicyRecord> {
      const m = await modelRow(db, modelName);
      const policy = parsePolicyYaml(yaml);
      const digest = policyDigest(policy);
      const at = iso(now());
      await db.transaction().execute(async (trx) => {
        const values = { yaml, policy_json: JSON.stringify(policy), digest, updated_at: at, updated_by: by.name };
        await trx
          .insertInto('policies')
          .values({ model_id: m.id, ...values })
          .onConflict((oc) => oc.column('model_id').doUpdateSet(values))
          .execute();
        await recordAudit(trx, at, { actor: by.name, action: 'policy.set', target: modelName, details: { digest, protected: Object.keys(policy.channels) } });
      });
      return { model: modelName, yaml, policy, digest, updatedAt: at, updatedBy: by.name };
    },
    async get(modelName: string): Promise<PolicyRecord> {
      await modelRow(db, modelName);
      const p = await readPolicy(db, modelName);
      if (!p) throw new NotFoundError(`${modelName} has no policy; set one with: steward policy set ${modelName} policy.yaml`, { model: modelName }, 'policy_not_found');
      return p;
    },
    find: (modelName: string) => readPolicy(db, modelName),
  };
}

export type PolicyService = ReturnType<typeof createPolicyService>;
