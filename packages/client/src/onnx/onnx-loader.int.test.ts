import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { PROBABILITY_OUTPUT, exportLogisticRegressionToOnnx, predictProba, trainLogisticRegression } from '@steward/core';
import { createOnnxLoader } from './index.ts';

describe('ONNX loader (real onnxruntime-node)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'steward-onnx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a version from its directory, runs it, and releases the session', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => [String(i / 10), i % 3 === 0 ? 'yes' : 'no']);
    const table = { header: ['x', 'y'], rows };
    const model = trainLogisticRegression(table, { label: 'y', positiveClass: 'yes' });
    writeFileSync(join(dir, 'model.onnx'), exportLogisticRegressionToOnnx(model));
    const loader = createOnnxLoader();
    const session = await loader.load({ model: 'm', version: '1.0.0', files: { dir, paths: ['model.onnx'], read: async (p) => new Uint8Array(await readFile(join(dir, p))) } });
    const out = await loader.run(session, { x: new ort.Tensor('float32', Float32Array.from([0.5, 4.2]), [2, 1]) });
    const got = Array.from((out[PROBABILITY_OUTPUT] as ort.Tensor).data as Float32Array);
    const want = predictProba(model, { header: ['x'], rows: [['0.5'], ['4.2']] });
    expect(got[0]).toBeCloseTo(want[0]!, 5);
    expect(got[1]).toBeCloseTo(want[1]!, 5);
    await loader.unload!(session);
  });

  it('loads from bytes when the installer has no directory, and refuses a version without .onnx', async () => {
    const loader = createOnnxLoader();
    const bytes = new Uint8Array(await readFile(join(dir, 'model.onnx')));
    const s = await loader.load({ model: 'm', version: '1.0.0', files: { paths: ['nested/model.onnx'], read: async () => bytes } });
    expect(s.inputNames).toEqual(['x']);
    await loader.unload!(s);
    await expect(loader.load({ model: 'm', version: '2.0.0', files: { paths: ['weights.bin'], read: async () => bytes } })).rejects.toThrow(/no \.onnx file/);
  });
});
