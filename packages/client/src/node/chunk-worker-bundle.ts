import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** What a bundle was built from: each input file's path, mtime and size, and the bundler's version. */
interface Manifest {
  entry: string;
  bundler: string;
  inputs: [path: string, mtimeMs: number, size: number][];
  /** File name of the bundle in the cache directory (named by its content's SHA-256). */
  file: string;
}

export interface BundleBuild {
  code: string;
  /** Every source file the bundle was built from, absolute or relative to the working directory. */
  inputs: string[];
}

/**
 * A bundle of `entry` kept on disk in `dir`, rebuilt only when one of the files it was built from
 * changed (mtime or size), or the bundler did. Bundling the chunk worker with esbuild costs each
 * process that pushes ~0.4 s of wall time (a synchronous build in a child process); checking the
 * cached one is a dozen `stat` calls. Returns the bundle's path, or null when it cannot be written
 * (a read-only home): the caller then bundles in memory as before.
 *
 * Several processes may build at once: files are written under a unique name and renamed into
 * place (atomic), the bundle under its content hash, so a reader sees a whole file or none.
 */
export function cachedBundle(dir: string, entry: string, bundler: string, build: () => BundleBuild): { path: string; built: boolean } | null {
  // One manifest per entry path: two checkouts sharing a STEWARD_HOME do not evict each other.
  const manifestPath = join(dir, `manifest-${createHash('sha256').update(entry).digest('hex').slice(0, 16)}.json`);
  const fresh = readFresh(manifestPath, entry, bundler, dir);
  if (fresh) return { path: fresh, built: false };
  const out = build();
  const file = `chunk-worker-${createHash('sha256').update(out.code).digest('hex').slice(0, 16)}.mjs`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Stat the inputs before writing: an input edited meanwhile then looks changed next time.
    const inputs = out.inputs.map((p): Manifest['inputs'][number] => {
      const abs = resolve(p);
      const s = statSync(abs);
      return [abs, s.mtimeMs, s.size];
    });
    writeAtomic(join(dir, file), out.code);
    writeAtomic(manifestPath, JSON.stringify({ entry, bundler, inputs, file } satisfies Manifest));
    return { path: join(dir, file), built: true };
  } catch {
    return null;
  }
}

/** The cached bundle's path when the manifest matches `entry`, `bundler` and every input as it is now. */
function readFresh(manifestPath: string, entry: string, bundler: string, dir: string): string | null {
  try {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (m.entry !== entry || m.bundler !== bundler || !/^chunk-worker-[0-9a-f]{16}\.mjs$/.test(m.file) || m.inputs.length === 0) return null;
    for (const [p, mtimeMs, size] of m.inputs) {
      const s = statSync(p);
      if (s.mtimeMs !== mtimeMs || s.size !== size) return null;
    }
    const path = join(dir, m.file);
    statSync(path);
    return path;
  } catch {
    return null; // no manifest yet, an input gone, or a half-written file from a crashed writer
  }
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}
