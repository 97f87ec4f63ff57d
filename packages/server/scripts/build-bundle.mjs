#!/usr/bin/env node
/**
 * Bundles the server (with @steward/core) into one plain-JavaScript file that `steward serve`
 * loads while it is newer than every source file it was built from (bin/load.mjs). Without the
 * TypeScript loader an idle server holds ~110 MiB RSS instead of ~170 MiB (tsx keeps a loader
 * thread, its transform cache and source maps) and starts in a fraction of the time. Run by
 * `npm install` (root `prepare`); by hand:
 *   node packages/server/scripts/build-bundle.mjs [OUT_FILE]
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from '../../../scripts/bundle-sources.mjs';

const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');
await bundleSources({
  entry: join(serverDir, 'src', 'index.ts'),
  outfile: process.argv[2] ?? join(serverDir, 'dist', 'server.mjs'),
  inline: /^@steward\/core(\/|$)/,
  generator: 'packages/server/scripts/build-bundle.mjs',
});
