import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson } from '@steward/core';
import type { StewardClient } from '../../client.ts';
import { stewardHome } from '../../node/key-pin.ts';
import { pullVersion } from '../../node/pull.ts';
import { safeJoin } from '../../node/safe-path.ts';
import type { Installed, Installer } from '../types.ts';

/**
 * Node installer: `pullVersion` into `<cacheDir>/<model>/<version>` (signature checked against the
 * pinned server key, every file streamed through SHA-256, files already present with the right
 * digest skipped, a tampered one re-downloaded). The reported digest is SHA-256 of the verified
 * manifest's canonical JSON, the same bytes the server hashes for quorum. The model's other
 * installed versions (`<cacheDir>/<model>/*`, the two newest) seed the pull when the chunk cache lacks their chunks.
 */
export function createFsInstaller(client: StewardClient, opts: { cacheDir: string; home?: string }): Installer {
  return {
    async install(model, version): Promise<Installed> {
      const modelDir = join(opts.cacheDir, ...model.split('/'));
      const dir = join(modelDir, version);
      const { version: v } = await pullVersion(client, { model, ref: version, outDir: dir, verify: true, home: opts.home ?? stewardHome(), seedFrom: await newestOthers(modelDir, version) });
      const digest = createHash('sha256').update(canonicalJson(v.manifest), 'utf8').digest('hex');
      return {
        model,
        version,
        digest,
        files: { dir, paths: v.manifest.files.map((f) => f.path), read: async (p) => new Uint8Array(await readFile(safeJoin(dir, p))) },
      };
    },
  };
}

/** Versions seeded from: the two most recently installed others (older ones rarely add chunks, and each costs a look). */
const SEED_VERSIONS = 2;

async function newestOthers(modelDir: string, version: string): Promise<string[]> {
  const dirs = (await readdir(modelDir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory() && d.name !== version).map((d) => join(modelDir, d.name));
  const dated = await Promise.all(dirs.map(async (d) => ({ d, at: (await stat(d).catch(() => null))?.mtimeMs ?? 0 })));
  return dated.sort((a, b) => b.at - a.at).slice(0, SEED_VERSIONS).map((x) => x.d);
}
