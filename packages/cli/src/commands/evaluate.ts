import type { Command } from 'commander';
import type { StewardClient } from '@steward/client';
import type { App } from '../app.ts';
import { parseModelRef } from '../args.ts';
import { table } from '../format.ts';

type Evaluation = Awaited<ReturnType<StewardClient['evaluations']['run']>>;
const num = (x: number | null | undefined) => (x === null || x === undefined ? '-' : String(Number(x.toPrecision(4))));

export function describeEvaluation(e: Evaluation): string {
  const out = [
    `${e.model}@${e.version} on ${e.dataset}: ${e.task}, ${e.n} rows, ${Math.round(e.rowsPerSecond)} rows/s (${e.file})`,
    table(['METRIC', 'VALUE'], Object.entries(e.metrics).map(([k, v]) => [k, num(v)])),
  ];
  for (const [col, f] of Object.entries(e.fairness ?? {})) {
    out.push(
      '',
      `fairness by ${col}: demographic parity ratio ${num(f.demographicParityRatio)}, equalized odds difference ${num(f.equalizedOddsDifference)}`,
      table(['GROUP', 'ROWS', 'SELECTION', 'TPR', 'FPR', 'ACCURACY'], f.groups.map((g) => [g.group, String(g.count), num(g.selectionRate), num(g.truePositiveRate), num(g.falsePositiveRate), num(g.accuracy)])),
    );
  }
  return out.join('\n');
}

export function registerEvaluateCommand(program: Command, app: App): void {
  program
    .command('evaluate <name@version>')
    .description("run a version's model.onnx on a registered dataset (built-in onnxruntime) and store the metrics")
    .requiredOption('--dataset <name@version>', 'evaluation dataset, e.g. adult-test@1')
    .action(async (target: string, o: { dataset: string }, cmd: Command) => {
      const { model, ref } = parseModelRef(target);
      const e = await app.client(cmd).evaluations.run(model, ref, o.dataset);
      app.print(cmd, e, () => describeEvaluation(e));
    });
}
