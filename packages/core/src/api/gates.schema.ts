import { z } from 'zod';
import { GateSpecSchema, type GateSpec } from './policy.schema.ts';

/** The gate types, read from the policy schema's discriminated union. */
export const GATE_TYPES = GateSpecSchema.options.map((o) => o.shape.type.value) as [GateSpec['type'], ...GateSpec['type'][]];

const ChannelName = z.string().min(1).max(128);

/** `error` means the gate could not decide (crash, timeout, unreadable input): never a pass. */
export const GateStatusSchema = z.enum(['pass', 'fail', 'error']);
export type GateStatus = z.infer<typeof GateStatusSchema>;

export const GateResultSchema = z
  .object({
    gate: z.string(),
    type: z.enum(GATE_TYPES),
    status: GateStatusSchema,
    /** What was measured (a number, or a small object for multi-part gates). */
    value: z.unknown(),
    /** What it had to meet. */
    threshold: z.unknown(),
    message: z.string(),
    evidence: z.record(z.string(), z.unknown()),
    durationMs: z.number(),
  })
  .meta({ id: 'GateResult' });
export type GateResult = z.infer<typeof GateResultSchema>;

export const ValidationReportSchema = z
  .object({
    id: z.string(),
    model: z.string(),
    version: z.string(),
    channel: z.string(),
    /** pass iff every gate passed; fail if any failed; otherwise error. */
    status: GateStatusSchema,
    policyDigest: z.string(),
    /** The channel's stable version the candidate was compared with. */
    baseline: z.string().nullable(),
    gates: z.array(GateResultSchema),
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .meta({ id: 'ValidationReport' });
export type ValidationReport = z.infer<typeof ValidationReportSchema>;

export const ValidateRequestSchema = z.strictObject({ channel: ChannelName });
export const ValidationQuerySchema = z.object({ channel: ChannelName.optional(), limit: z.coerce.number().int().min(1).max(100).optional() });

export const ApprovalSchema = z
  .object({ id: z.string(), model: z.string(), version: z.string(), channel: z.string(), approver: z.string(), comment: z.string(), createdAt: z.string() })
  .meta({ id: 'Approval' });
export type Approval = z.infer<typeof ApprovalSchema>;

export const ApproveRequestSchema = z.strictObject({ channel: ChannelName, comment: z.string().max(2048).optional() });
export type ApproveRequest = z.input<typeof ApproveRequestSchema>;

/** NaN rates (empty groups, nothing to find) travel as null. */
const rate = z.number().nullable();
export const GroupRatesSchema = z.object({
  group: z.string(),
  count: z.number(),
  selectionRate: rate,
  truePositiveRate: rate,
  falsePositiveRate: rate,
  accuracy: rate,
});
export type GroupRates = z.infer<typeof GroupRatesSchema>;

/** Fairlearn group rates and disparities for one sensitive column. */
export const FairnessReportSchema = z.object({
  groups: z.array(GroupRatesSchema),
  demographicParityDifference: rate,
  demographicParityRatio: rate,
  equalizedOddsDifference: rate,
  equalizedOddsRatio: rate,
  equalOpportunityDifference: rate,
});
export type FairnessReport = z.infer<typeof FairnessReportSchema>;

/** A stored built-in evaluation (NaN metrics arrive as null). */
export const EvaluationSchema = z
  .object({
    id: z.string(),
    model: z.string(),
    version: z.string(),
    /** `NAME@VERSION` of the dataset. */
    dataset: z.string(),
    datasetSha256: z.string(),
    /** The ONNX file that was run. */
    file: z.string(),
    task: z.enum(['binary', 'multiclass', 'regression']),
    n: z.number(),
    metrics: z.record(z.string(), z.number().nullable()),
    calibration: z.array(z.object({ lower: z.number(), count: z.number(), meanPredicted: rate, fractionPositive: rate })).optional(),
    /** Per sensitive column (binary tasks). */
    fairness: z.record(z.string(), FairnessReportSchema).optional(),
    durationMs: z.number(),
    rowsPerSecond: z.number(),
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .meta({ id: 'Evaluation' });
export type Evaluation = z.infer<typeof EvaluationSchema>;

export const EvaluateRequestSchema = z.strictObject({ dataset: z.string().max(200).meta({ example: 'adult-test@1' }) });
