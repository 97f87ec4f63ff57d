import type { Constraint, DownloadConditions, RoutingTable } from '@steward/core';
import { STRATEGIES as API_STRATEGIES, type RolloutState, type RolloutStrategy } from '@steward/core/api';

export type Strategy = RolloutStrategy;
export const STRATEGIES: readonly Strategy[] = API_STRATEGIES;
export type { RolloutState };
export const ACTIVE_STATES: readonly RolloutState[] = ['scheduled', 'running', 'paused'];

/**
 * An analysis: every `intervalMs` one measurement evaluates the conditions over the metrics
 * reported since the current traffic weight was applied. A measurement is *failed* if
 * `failureCondition` holds, *successful* if `successCondition` holds, else *inconclusive*
 * (also when a metric has no data yet). More than `failureLimit` failed measurements fail the
 * analysis (the rollout aborts); after `count` measurements any inconclusive one pauses the
 * rollout, otherwise it passes.
 */
export interface AnalysisSpec {
  successCondition?: string;
  failureCondition?: string;
  /** Default 0: the first failed measurement fails the analysis. */
  failureLimit?: number;
  /** Milliseconds between measurements (API accepts `30s`, `5m`). */
  intervalMs: number;
  /** Measurements to take. Default 1. */
  count?: number;
}

/** One step of a plan. Weights are basis points (10,000 = 100 %). */
export type Step =
  | { kind: 'weight'; weightBps: number }
  /** `durationMs` undefined = until `steward rollout resume`. */
  | { kind: 'pause'; durationMs?: number }
  | { kind: 'analysis'; analysis: AnalysisSpec }
  /** ab: apply the fixed split (arm `a` = previous stable, arm `b` = new version). */
  | { kind: 'split' }
  /** shadow: start mirroring `shadowBps` of requests to the candidate (answers discarded). */
  | { kind: 'shadow' };

/** What a caller asks for; stored as `spec_json`. */
export interface RolloutSpec {
  version: string;
  strategy: Strategy;
  steps: Step[];
  /** Step constraints on the candidate (platform, os, appVersion, region, attributes). */
  constraints?: Constraint[];
  /** Candidate variant for every platform, and per-platform pins. */
  variant?: string;
  platformVariants?: Record<string, string>;
  /** Download conditions per platform (`'*'` fallback), delivered with the table. */
  download?: Record<string, DownloadConditions>;
  /** Delivered by resolve: clients ignore download conditions for a critical rollout. */
  critical?: boolean;
  /** ab: candidate arm's share (bps) against stable, fixed for the rollout. */
  splitBps?: number;
  /** shadow: share of requests (bps) mirrored to the candidate. */
  shadowBps?: number;
  /** scheduled: apply at this block height or time (ISO), whichever is given. */
  at?: { block?: number; time?: string };
  /** Analysis running across ab/shadow (measured at each interval; failure aborts). */
  analysis?: AnalysisSpec;
  /** A rollout still active past this instant is flagged `overdue`. */
  deadline?: string;
  reason?: string;
}

/** Progress of the analysis of the current step. */
export interface AnalysisProgress {
  measurements: Array<{ at: string; outcome: 'success' | 'failure' | 'inconclusive'; values: Record<string, number | null> }>;
  failures: number;
  inconclusive: number;
}

export interface Rollout {
  id: string;
  model: string;
  channel: string;
  state: RolloutState;
  strategy: Strategy;
  version: string;
  spec: RolloutSpec;
  previousTable: RoutingTable;
  /** The table this rollout wants the channel to have now. */
  table: RoutingTable;
  stepIndex: number;
  stepStartedAt: string;
  analysis: AnalysisProgress;
  message: string;
  pausedReason: string | null;
  critical: boolean;
  deadline: string | null;
  overdue: boolean;
  /** False between claiming a change and writing it to the channel (a crash there is retried). */
  applied: boolean;
  revision: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}
