import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Version } from '../types.ts';
import { hashFile } from './hash-file.ts';

export interface VerifyReport {
  ok: boolean;
  /** In the manifest, absent on disk. */
  missing: string[];
  /** On disk, absent from the manifest. */
  extra: string[];
  /** Present but with other bytes. */
  mismatched: { path: string; expected: string; actual: string }[];
}

/**
 * Re-hashes the files under `dir` against the version's signed manifest (check the signature
 * first with verifyVersionSignature). Paths are compared `/`-separated.
 *
 * @example
 * const report = await verifyDir(version, './models/fraud');
 * if (!report.ok) console.error(report.mismatched);
 */
export async function verifyDir(version: Version, dir: string): Promise<VerifyReport> {
  const onDisk = new Set(await listFiles(dir));
  const report: VerifyReport = { ok: true, missing: [], extra: [], mismatched: [] };
  for (const f of version.manifest.files) {
    if (!onDisk.has(f.path)) {
      report.missing.push(f.path);
      continue;
    }
    onDisk.delete(f.path);
    const actual = await hashFile(join(dir, ...f.path.split('/')));
    if (actual.sha256 !== f.sha256) report.mismatched.push({ path: f.path, expected: f.sha256, actual: actual.sha256 });
  }
  report.extra = [...onDisk].sort();
  report.ok = report.missing.length === 0 && report.extra.length === 0 && report.mismatched.length === 0;
  return report;
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    const abs = join(e.parentPath, e.name);
    if (e.isFile() || (e.isSymbolicLink() && (await stat(abs).catch(() => null))?.isFile())) {
      out.push(relative(root, abs).split(sep).join('/'));
    }
  }
  return out;
}
