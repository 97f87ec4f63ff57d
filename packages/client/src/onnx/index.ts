import { StewardError } from '@steward/core';
import type { ModelLoader } from '../agent/types.ts';

/** The slice of onnxruntime's InferenceSession the loader uses. */
export interface OnnxSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, unknown>>;
  release(): Promise<void>;
}

export interface OnnxLoaderOptions {
  /** File of the version to load (default `model.onnx`, else the first `*.onnx` in the manifest). */
  file?: string;
  /** onnxruntime intra-op threads (default 1: agents share the machine with the app). */
  intraOpNumThreads?: number;
}

/**
 * The default agent loader: one onnxruntime-node InferenceSession per loaded version. Inputs are
 * onnxruntime feeds (`{ name: Tensor }`), outputs are its result map. onnxruntime-node is imported
 * on first use, so importing this module costs nothing where it is not installed.
 *
 * @example
 * import { createOnnxLoader } from '@steward/client/onnx';
 * const agent = createAgent({ ..., cacheDir: './cache', loader: createOnnxLoader() });
 * const out = await agent.run('fraud', { input: new ort.Tensor('float32', row, [1, row.length]) }, { unit: 'u1' });
 */
export function createOnnxLoader(opts: OnnxLoaderOptions = {}): ModelLoader<OnnxSessionLike, Record<string, unknown>, Record<string, unknown>> {
  return {
    async load({ model, version, files }) {
      const file = opts.file ?? (files.paths.includes('model.onnx') ? 'model.onnx' : files.paths.find((p) => p.endsWith('.onnx')));
      if (!file) throw new StewardError('no_onnx_file', `${model}@${version} has no .onnx file to load`, 0, { model, version });
      const name = 'onnxruntime-node';
      const ort = (await import(/* @vite-ignore */ name)) as { InferenceSession: { create(src: Uint8Array | string, o?: object): Promise<OnnxSessionLike> } };
      const source = files.dir ? `${files.dir}/${file}` : await files.read(file);
      return ort.InferenceSession.create(source, { intraOpNumThreads: opts.intraOpNumThreads ?? 1 });
    },
    run: (session, feeds) => session.run(feeds),
    unload: (session) => session.release(),
  };
}
