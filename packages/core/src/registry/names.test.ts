import { describe, expect, it } from 'vitest';
import { assertChannelName, assertFilePath, assertModelName, assertSha256 } from './names.ts';

describe('names and paths', () => {
  it.each(['fraud', 'acme/fraud', 'a1.b_c-d', '0x'])('accepts model %j', (n) => expect(() => assertModelName(n)).not.toThrow());
  it.each(['Fraud', '/fraud', 'a/b/c', '-x', 'a//b', '', 'a b', 'x'.repeat(129)])('rejects model %j', (n) =>
    expect(() => assertModelName(n)).toThrow(/invalid model name/),
  );
  it.each(['model.onnx', 'tokenizer/vocab.json', 'a/b/c.d'])('accepts path %j', (p) => expect(() => assertFilePath(p)).not.toThrow());
  it.each(['../x', 'a/../b', '/etc/passwd', 'a\\b', 'a\u0000b', 'a//b', './a', 'C:/x', '', 'a/'])('rejects path %j', (p) =>
    expect(() => assertFilePath(p)).toThrow(/invalid file path/),
  );
  it('reserves latest as a channel name', () => expect(() => assertChannelName('latest')).toThrow());
  it('checks digests', () => {
    expect(() => assertSha256('a'.repeat(64))).not.toThrow();
    expect(() => assertSha256('A'.repeat(64))).toThrow();
    expect(() => assertSha256('a'.repeat(63))).toThrow();
  });
});
