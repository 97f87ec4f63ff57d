import { seg, type HttpTransport } from '../http.ts';

export interface GroupRates {
  group: string;
  count: number;
  selectionRate: number | null;
  truePositiveRate: number | null;
  falsePositiveRate: number | null;
  accuracy: number | null;
}

export interface FairnessReport {
  groups: GroupRates[];
  demographicParityDifference: number | null;
  demographicParityRatio: number | null;
  equalizedOddsDifference: number | null;
  equalizedOddsRatio: number | null;
  equalOpportunityDifference: number | null;
}

/** A stored built-in evaluation (NaN metrics arrive as null). */
export interface Evaluation {
  id: string;
  model: string;
  version: string;
  dataset: string;
  datasetSha256: string;
  file: string;
  task: 'binary' | 'multiclass' | 'regression';
  n: number;
  metrics: Record<string, number | null>;
  calibration?: { lower: number; count: number; meanPredicted: number | null; fractionPositive: number | null }[];
  fairness?: Record<string, FairnessReport>;
  durationMs: number;
  rowsPerSecond: number;
  createdAt: string;
  createdBy: string;
}

/** Built-in evaluation: run a version's model.onnx on a registered dataset. */
export class EvaluationsApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * @example
   * const ev = await client.evaluations.run('income', '1.0.0', 'adult-test@1');
   * console.log(ev.metrics.accuracy, ev.fairness?.sex?.demographicParityRatio);
   */
  run(model: string, ref: string, dataset: string): Promise<Evaluation> {
    return this.http.json('POST', `/models/${seg(model)}/versions/${seg(ref)}/evaluations`, { dataset });
  }

  /** Newest first. */
  async list(model: string, ref: string): Promise<Evaluation[]> {
    return (await this.http.json<{ items: Evaluation[] }>('GET', `/models/${seg(model)}/versions/${seg(ref)}/evaluations`)).items;
  }
}
