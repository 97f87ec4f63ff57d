import type { ValidationReport } from '@steward/core/api';
import { ConflictError, NotFoundError } from '@steward/core';
import { iso, type Principal } from '../../lib/context.ts';
import { newId } from '../../lib/ids.ts';
import { recordAudit } from '../audit/audit.ts';
import type { BlobService } from '../blobs/blobs.service.ts';
import type { DatasetService } from '../datasets/datasets.service.ts';
import type { EvaluationService } from '../evaluation/evaluation.service.ts';
import type { SigningKey } from '../keys/signing-key.ts';
import type { PolicyService } from '../policy/policy.service.ts';
import type { GateSpec } from '../policy/policy.types.ts';
import type { VersionService } from '../versions/versions.service.ts';
import { dependenciesGate, integrityGate, schemaGate, sizeGate } from './builtin-gates.ts';
import { commandGate, webhookGate } from './external-gates.ts';
import { errored, type GateContext, type GateResult, type GateStatus, type Verdict } from './gate-types.ts';
import type { GatesDb } from './gates.tables.ts';
import { fairnessGate, latencyGate, metricGate, regressionGate } from './model-gates.ts';

export type { ValidationReport };

/** Stable, readable gate names: `type`, `metric:f1`, or the gate's own `name`; repeats get `#2`. */
export function gateNames(gates: GateSpec[]): string[] {
  const seen = new Map<string, number>();
  return gates.map((g) => {
    const base = ('name' in g && g.name) || (g.type === 'metric' || g.type === 'regression' ? `${g.type}:${g.metric}` : g.type);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

export function overallStatus(gates: { status: GateStatus }[]): GateStatus {
  if (gates.every((g) => g.status === 'pass')) return 'pass';
  return gates.some((g) => g.status === 'fail') ? 'fail' : 'error';
}

function runGate(ctx: GateContext, g: GateSpec): Promise<Verdict> {
  switch (g.type) {
    case 'integrity':
      return integrityGate(ctx);
    case 'schema':
      return schemaGate(ctx);
    case 'dependencies':
      return dependenciesGate(ctx);
    case 'metric':
      return metricGate(ctx, g);
    case 'regression':
      return regressionGate(ctx, g);
    case 'fairness':
      return fairnessGate(ctx, g);
    case 'size':
      return sizeGate(ctx, g);
    case 'latency':
      return latencyGate(ctx, g);
    case 'command':
      return commandGate(ctx, g);
    case 'webhook':
      return webhookGate(ctx, g);
  }
}

export interface ValidationDeps {
  db: GatesDb;
  versions: VersionService;
  blobs: BlobService;
  datasets: DatasetService;
  evaluations: EvaluationService;
  policies: PolicyService;
  signingKey: SigningKey;
  channelStable: (model: string, channel: string) => Promise<string | undefined>;
  now: () => Date;
  env?: Record<string, string | undefined>;
}

export function createValidationService(deps: ValidationDeps) {
  const { db, versions, policies, now } = deps;
  const toReport = (r: { report_json: string }): ValidationReport => JSON.parse(r.report_json) as ValidationReport;
  async function modelId(name: string) {
    const m = await db.selectFrom('models').select('id').where('name', '=', name).executeTakeFirst();
    if (!m) throw new NotFoundError(`model "${name}" not found`, { model: name }, 'model_not_found');
    return m.id;
  }

  return {
    /** Runs the channel's gates on a version, in policy order, and stores the report. */
    async validate(modelName: string, ref: string, channel: string, by: Principal): Promise<ValidationReport> {
      const policy = await policies.find(modelName);
      const cp = policy?.policy.channels[channel];
      if (!policy || !cp) throw new ConflictError(`${channel} is not a protected channel of ${modelName}: its policy names no gates for it`, { channel }, 'channel_not_protected');
      const version = await versions.get(modelName, ref);
      const stable = await deps.channelStable(modelName, channel);
      const baseline = stable && stable !== version.version ? await versions.get(modelName, stable) : null;
      const ctx: GateContext = { model: modelName, channel, version, baseline, versions, blobs: deps.blobs, datasets: deps.datasets, evaluations: deps.evaluations, signingKey: deps.signingKey, env: deps.env ?? process.env };
      const names = gateNames(cp.gates);
      const gates: GateResult[] = [];
      for (const [i, g] of cp.gates.entries()) {
        const t0 = performance.now();
        let v: Verdict;
        try {
          v = await runGate(ctx, g);
        } catch (err) {
          // A gate that cannot read its input or crashes decides nothing: error, never pass.
          v = errored(`gate crashed: ${(err as Error).message}`, { code: (err as { code?: string }).code ?? null });
        }
        gates.push({ gate: names[i]!, type: g.type, status: v.status, value: v.value, threshold: v.threshold, message: v.message, evidence: v.evidence ?? {}, durationMs: Math.round((performance.now() - t0) * 10) / 10 });
      }
      const report: ValidationReport = {
        id: newId('val'),
        model: modelName,
        version: version.version,
        channel,
        status: overallStatus(gates),
        policyDigest: policy.digest,
        baseline: baseline?.version ?? null,
        gates,
        createdAt: iso(now()),
        createdBy: by.name,
      };
      const id = await modelId(modelName);
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('validations')
          .values({ id: report.id, model_id: id, version: report.version, channel, status: report.status, policy_digest: report.policyDigest, report_json: JSON.stringify(report), created_at: report.createdAt, created_by: by.name })
          .execute();
        await recordAudit(trx, report.createdAt, { actor: by.name, action: 'validation.run', target: `${modelName}@${report.version}/${channel}`, details: { status: report.status, report: report.id } });
      });
      return report;
    },

    async list(modelName: string, ref: string, channel?: string, limit = 20): Promise<ValidationReport[]> {
      const v = await versions.get(modelName, ref);
      let q = db.selectFrom('validations').select('report_json').where('model_id', '=', await modelId(modelName)).where('version', '=', v.version);
      if (channel) q = q.where('channel', '=', channel);
      return (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(Math.min(Math.max(limit, 1), 100)).execute()).map(toReport);
    },

    async latest(modelName: string, ref: string, channel?: string): Promise<ValidationReport> {
      const [r] = await this.list(modelName, ref, channel, 1);
      if (!r) throw new NotFoundError(`no validation report for ${modelName}@${ref}${channel ? ` on ${channel}` : ''}; run: steward validate ${modelName}@${ref} --channel ${channel ?? 'CHANNEL'}`, {}, 'validation_not_found');
      return r;
    },
  };
}

export type ValidationService = ReturnType<typeof createValidationService>;
