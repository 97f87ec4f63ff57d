import { OpenAPIHono } from '@hono/zod-openapi';
import type { Db } from '../../db/connect.ts';
import type { AppEnv } from '../../http/env.ts';
import { createApprovalService } from '../approvals/approvals.service.ts';
import type { BlobService } from '../blobs/blobs.service.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import { datasetsRoutes } from '../datasets/datasets.routes.ts';
import { createDatasetService } from '../datasets/datasets.service.ts';
import { createEvaluationService } from '../evaluation/evaluation.service.ts';
import type { SigningKey } from '../keys/signing-key.ts';
import { policyRoutes } from '../policy/policy.routes.ts';
import { createPolicyService } from '../policy/policy.service.ts';
import type { VersionService } from '../versions/versions.service.ts';
import { createGatesGuard, createOverrideAuditor } from './gates.guard.ts';
import { gatesRoutes } from './gates.routes.ts';
import { gatesDb } from './gates.tables.ts';
import { createValidationService } from './validation.service.ts';

/**
 * Wires policy, datasets, evaluation, validation and approvals, and registers the channel guard
 * that enforces protected channels on every move (set, rollback, rollouts).
 */
export function createGatesFeature(deps: { db: Db; versions: VersionService; channels: ChannelService; blobs: BlobService; signingKey: SigningKey; now: () => Date; env?: Record<string, string | undefined> }) {
  const db = gatesDb(deps.db.kysely);
  const { versions, blobs, now } = deps;
  const policies = createPolicyService({ db, now });
  const datasets = createDatasetService({ db, blobs, now });
  const evaluations = createEvaluationService({ db, versions, blobs, datasets, now });
  const approvals = createApprovalService({ db, versions, now });
  const validations = createValidationService({ db, versions, blobs, datasets, evaluations, policies, signingKey: deps.signingKey, channelStable: deps.channels.stableOf, now, ...(deps.env ? { env: deps.env } : {}) });
  // Guards run before the channel's write transaction (channels.store.sql), so plain reads are safe.
  deps.channels.addGuard(createGatesGuard(db));
  deps.channels.onChange(createOverrideAuditor(db, now));

  const routes = new OpenAPIHono<AppEnv>();
  routes.route('/', policyRoutes(policies));
  routes.route('/', datasetsRoutes(datasets));
  routes.route('/', gatesRoutes({ evaluations, validations, approvals }));
  return { routes, services: { policies, datasets, evaluations, approvals, validations } };
}
