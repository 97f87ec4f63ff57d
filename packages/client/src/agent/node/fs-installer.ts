import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
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
 * manifest's canonical JSON, the same bytes the server hashes for quorum.
 */
export function createFsInstaller(client: StewardClient, opts: { cacheDir: string; home?: string }): Installer {
  return {
    async install(model, version): Promise<Installed> {
      const dir = join(opts.cacheDir, ...model.split('/'), version);
      const { version: v } = await pullVersion(client, { model, ref: version, outDir: dir, verify: true, home: opts.home ?? stewardHome() });
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
