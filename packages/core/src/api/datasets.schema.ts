import { z } from 'zod';
import { Sha256Schema } from './common.schema.ts';

export const DatasetFormatSchema = z.enum(['csv', 'jsonl']);
export type DatasetFormat = z.infer<typeof DatasetFormatSchema>;
export const TaskSchema = z.enum(['binary', 'multiclass', 'regression']);
export type Task = z.infer<typeof TaskSchema>;
export type ColumnType = 'number' | 'string';

/** What a registered dataset promises: its columns and which one is the label. */
export const DatasetColumnsSchema = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.enum(['number', 'string']) })),
  label: z.string(),
  /** Feature columns (every column but the label and sensitive ones unless given). */
  features: z.array(z.string()),
  sensitive: z.array(z.string()),
  task: TaskSchema,
  /** Binary: the label value counted as 1. Multiclass: the class order. */
  positiveClass: z.string().optional(),
  classes: z.array(z.string()).optional(),
});
/** A dataset's schema (columns, label, features, sensitive columns, task). */
export type DatasetSchema = z.infer<typeof DatasetColumnsSchema>;

export const DatasetRecordSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    sha256: z.string(),
    size: z.number(),
    format: DatasetFormatSchema,
    rows: z.number(),
    schema: DatasetColumnsSchema,
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .meta({ id: 'Dataset' });
export type Dataset = z.infer<typeof DatasetRecordSchema>;

const Col = z.string().min(1).max(256);
export const DatasetInputSchema = z
  .strictObject({
    version: z.string().min(1).max(64),
    sha256: Sha256Schema,
    format: DatasetFormatSchema,
    label: Col,
    sensitive: z.array(Col).max(32).optional(),
    features: z.array(Col).max(4096).optional(),
    task: TaskSchema.optional(),
    positiveClass: z.string().max(256).optional(),
  })
  .meta({ id: 'DatasetInput' });
export type DatasetInput = z.input<typeof DatasetInputSchema>;
