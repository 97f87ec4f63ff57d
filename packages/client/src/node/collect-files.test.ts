import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectFiles } from './collect-files.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'steward-collect-'));
  await mkdir(join(root, 'tokenizer', 'sub'), { recursive: true });
  await writeFile(join(root, 'model.onnx'), 'abc');
  await writeFile(join(root, 'tokenizer', 'vocab.json'), '{}');
  await writeFile(join(root, 'tokenizer', 'sub', 'merges.txt'), 'm');
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('collectFiles', () => {
  it('keeps a directory name as prefix and a file as its basename, posix-separated and sorted', async () => {
    const files = await collectFiles(['./tokenizer/', join(root, 'model.onnx')], root);
    expect(files.map((f) => [f.path, f.size])).toEqual([
      ['model.onnx', 3],
      ['tokenizer/sub/merges.txt', 1],
      ['tokenizer/vocab.json', 2],
    ]);
    expect(files[0]?.absPath).toBe(join(root, 'model.onnx'));
  });

  it('puts the contents of . at the root', async () => {
    const files = await collectFiles(['.'], join(root, 'tokenizer'));
    expect(files.map((f) => f.path)).toEqual(['sub/merges.txt', 'vocab.json']);
  });

  it('rejects two inputs mapping to the same path', async () => {
    await mkdir(join(root, 'other'));
    await writeFile(join(root, 'other', 'model.onnx'), 'x');
    await expect(collectFiles(['model.onnx', 'other/model.onnx'], root)).rejects.toMatchObject({ code: 'duplicate_path' });
  });

  it('rejects a missing path', async () => {
    await expect(collectFiles(['nope'], root)).rejects.toMatchObject({ code: 'file_not_found' });
  });
});
