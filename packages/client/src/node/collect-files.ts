import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, normalize, relative, resolve, sep } from 'node:path';
import { InvalidInputError } from '@steward/core';

export interface LocalFile {
  /** Path inside the version: relative, `/`-separated. */
  path: string;
  /** Absolute path on disk. */
  absPath: string;
  size: number;
}

/**
 * Expands files and directories into the files of a version, sorted by path.
 * A directory keeps its own name as prefix (`./tokenizer/` → `tokenizer/vocab.json`), except `.`
 * whose contents land at the root; a plain file becomes its basename. Symlinks are followed
 * (a directory cycle is skipped). Two inputs that map to the same path are refused.
 *
 * @example
 * await collectFiles(['model.onnx', './tokenizer/']) // [{ path: 'model.onnx', … }, { path: 'tokenizer/vocab.json', … }]
 */
export async function collectFiles(paths: string[], cwd = process.cwd()): Promise<LocalFile[]> {
  const out = new Map<string, LocalFile>();
  const add = (file: LocalFile): void => {
    const prev = out.get(file.path);
    if (prev) {
      throw new InvalidInputError(`two files map to "${file.path}": ${prev.absPath} and ${file.absPath}`, { path: file.path }, 'duplicate_path');
    }
    out.set(file.path, file);
  };
  for (const input of paths) {
    const abs = resolve(cwd, input);
    const st = await stat(abs).catch(() => null);
    if (!st) throw new InvalidInputError(`no such file or directory: ${input}`, { path: input }, 'file_not_found');
    if (st.isFile()) add({ path: basename(abs), absPath: abs, size: st.size });
    else if (st.isDirectory()) {
      const isDot = normalize(input) === '.' || normalize(input) === `.${sep}`;
      const root = isDot ? abs : resolve(abs, '..');
      await walk(abs, root, add, new Set());
    } else throw new InvalidInputError(`not a regular file or directory: ${input}`, { path: input }, 'invalid_path');
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function walk(dir: string, root: string, add: (f: LocalFile) => void, seen: Set<string>): Promise<void> {
  const real = await realpath(dir);
  if (seen.has(real)) return; // symlink cycle
  seen.add(real);
  const entries = await readdir(dir);
  for (const name of entries.sort()) {
    const abs = resolve(dir, name);
    const st = await stat(abs).catch(() => null); // dangling symlink → skipped
    if (!st) continue;
    if (st.isDirectory()) await walk(abs, root, add, seen);
    else if (st.isFile()) add({ path: relative(root, abs).split(sep).join('/'), absPath: abs, size: st.size });
  }
}
