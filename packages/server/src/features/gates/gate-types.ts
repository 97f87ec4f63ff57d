import type { GateResult, GateStatus } from '@steward/core/api';
import type { DatasetService } from '../datasets/datasets.service.ts';
import type { EvaluationService } from '../evaluation/evaluation.service.ts';
import type { SigningKey } from '../keys/signing-key.ts';
import type { BlobService } from '../blobs/blobs.service.ts';
import type { VersionService } from '../versions/versions.service.ts';
import type { Version } from '../versions/versions.types.ts';
import type { GateSpec } from '../policy/policy.types.ts';

export type { GateResult, GateStatus };

export interface GateContext {
  model: string;
  channel: string;
  version: Version;
  /** The channel's current stable version, if any and different from `version`. */
  baseline: Version | null;
  versions: VersionService;
  blobs: BlobService;
  datasets: DatasetService;
  evaluations: EvaluationService;
  signingKey: SigningKey;
  env: Record<string, string | undefined>;
}

/** A gate's verdict without the bookkeeping fields the runner adds. */
export type Verdict = Pick<GateResult, 'status' | 'value' | 'threshold' | 'message'> & { evidence?: Record<string, unknown> };

export const pass = (message: string, value: unknown = null, threshold: unknown = null, evidence: Record<string, unknown> = {}): Verdict => ({ status: 'pass', value, threshold, message, evidence });
export const fail = (message: string, value: unknown = null, threshold: unknown = null, evidence: Record<string, unknown> = {}): Verdict => ({ status: 'fail', value, threshold, message, evidence });
export const errored = (message: string, evidence: Record<string, unknown> = {}): Verdict => ({ status: 'error', value: null, threshold: null, message, evidence });
