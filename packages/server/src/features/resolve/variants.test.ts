import { describe, expect, it } from 'vitest';
import { filesOfVariant, variantOf, variantsOf } from './variants.ts';

const f = (path: string) => ({ path, sha256: '0'.repeat(64), size: 1 });

describe('variants by path', () => {
  it('maps variants/<name>/ to the variant and everything else to default', () => {
    expect(variantOf('model.onnx')).toBe('default');
    expect(variantOf('variants/int8/model.onnx')).toBe('int8');
    expect(variantOf('variants/file-at-root')).toBe('default');
    const files = [f('model.onnx'), f('tok/vocab.json'), f('variants/int8/model.onnx')];
    expect(variantsOf(files)).toEqual(['default', 'int8']);
    expect(filesOfVariant(files, 'default').map((x) => x.path)).toEqual(['model.onnx', 'tok/vocab.json']);
    expect(filesOfVariant(files, 'coreml')).toEqual([]);
  });
});
