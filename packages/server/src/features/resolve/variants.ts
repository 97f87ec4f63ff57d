/**
 * Variants (file sets) of a version, by path convention: files under `variants/<name>/` belong to
 * variant `<name>`; every other file belongs to `default`. A version pushed without a `variants/`
 * folder therefore has exactly one variant, `default`, holding all its files.
 *
 *   model.onnx                      → default
 *   variants/int8/model.onnx        → int8
 *   variants/coreml/model.mlpackage → coreml
 */
export interface FileEntry {
  path: string;
  sha256: string;
  size: number;
}

const PREFIX = 'variants/';

export function variantOf(path: string): string {
  if (!path.startsWith(PREFIX)) return 'default';
  const rest = path.slice(PREFIX.length);
  const i = rest.indexOf('/');
  return i > 0 ? rest.slice(0, i) : 'default';
}

export function variantsOf(files: readonly FileEntry[]): string[] {
  return [...new Set(files.map((f) => variantOf(f.path)))].sort();
}

export function filesOfVariant(files: readonly FileEntry[], variant: string): FileEntry[] {
  return files.filter((f) => variantOf(f.path) === variant);
}
