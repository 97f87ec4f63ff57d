import { isAbsolute, resolve, sep } from 'node:path';
import { InvalidInputError } from '@steward/core';

/**
 * Where a manifest path lands under `outDir`, refusing anything that could escape it
 * (`..`, absolute paths, backslashes, drive letters, NUL/control characters, empty segments).
 * The server refuses such paths too; this is the client's own guard against a hostile server.
 */
export function safeJoin(outDir: string, path: string): string {
  const bad = (why: string): never => {
    throw new InvalidInputError(`refusing file path "${path}": ${why}`, { path }, 'unsafe_path');
  };
  if (path === '' || /[\u0000-\u001f\u007f\\]/.test(path)) bad('empty, or contains a backslash or control character');
  if (isAbsolute(path) || /^[A-Za-z]:/.test(path)) bad('absolute');
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) bad("contains an empty, '.' or '..' segment");
  const root = resolve(outDir);
  const target = resolve(root, ...path.split('/'));
  if (!target.startsWith(root + sep)) bad('escapes the output directory');
  return target;
}
