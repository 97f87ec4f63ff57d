import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';

/** Tables of migration 0002_gates, as Kysely sees them (kept here, next to their features). */
export interface PoliciesTable {
  model_id: string;
  yaml: string;
  policy_json: string;
  digest: string;
  updated_at: string;
  updated_by: string;
}

export interface EvalDatasetsTable {
  id: string;
  name: string;
  version: string;
  sha256: string;
  size: number;
  format: string;
  schema_json: string;
  rows: number;
  created_at: string;
  created_by: string;
}

export interface EvaluationsTable {
  id: string;
  model_id: string;
  version: string;
  dataset: string;
  dataset_sha256: string;
  task: string;
  result_json: string;
  created_at: string;
  created_by: string;
}

export interface ValidationsTable {
  id: string;
  model_id: string;
  version: string;
  channel: string;
  status: string;
  policy_digest: string;
  report_json: string;
  created_at: string;
  created_by: string;
}

export interface ApprovalsTable {
  id: string;
  model_id: string;
  version: string;
  channel: string;
  approver: string;
  comment: string;
  created_at: string;
}

export interface GatesDatabase extends Database {
  policies: PoliciesTable;
  eval_datasets: EvalDatasetsTable;
  evaluations: EvaluationsTable;
  validations: ValidationsTable;
  approvals: ApprovalsTable;
}

export type GatesDb = Kysely<GatesDatabase>;
/** The app's Kysely handle seen with this feature's tables (same connection, wider type). */
export const gatesDb = (db: Kysely<Database>): GatesDb => db as unknown as GatesDb;
