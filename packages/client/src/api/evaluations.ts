import type { Evaluation, FairnessReport, GroupRates } from '@steward/core/api';
import { seg, type HttpTransport } from '../http.ts';

export type { Evaluation, FairnessReport, GroupRates };

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
