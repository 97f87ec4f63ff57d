/**
 * Writes model.onnx (logistic regression trained on adult-train) for the README tour and docs/gates.md.
 *   node --import tsx tools/make-adult-model.ts [OUT_DIR] [--weak]
 * --weak trains on age and hours-per-week only: a clearly worse model, to watch the regression gate fail.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAdult, makeAdultModel } from './adult-model.ts';

const args = process.argv.slice(2);
const weak = args.includes('--weak');
const out = resolve(args.find((a) => !a.startsWith('--')) ?? '.');
const train = loadAdult('train');
const keep = new Set(['age', 'hours-per-week', 'income']);
const bytes = makeAdultModel(train, weak ? { exclude: train.header.filter((h) => !keep.has(h)) } : {});
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'model.onnx'), bytes);
process.stdout.write(`wrote ${join(out, 'model.onnx')} (${bytes.length} bytes${weak ? ', weak model' : ''})\n`);
