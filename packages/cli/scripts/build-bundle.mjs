#!/usr/bin/env node
/**
 * Bundles the CLI (with @steward/client and @steward/core) into one plain-JavaScript file, so a
 * command starts without the TypeScript loader: ~0.4 s instead of ~1.3 s. bin/steward.js uses the
 * bundle while it is newer than every source file it was built from (scripts/bundle-freshness.mjs),
 * and the TypeScript sources otherwise. Run by `npm install` (root `prepare`); by hand:
 *   node packages/cli/scripts/build-bundle.mjs [OUT_FILE]
 * The server stays out: `steward serve` loads it through @steward/server/load (its own bundle).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from '../../../scripts/bundle-sources.mjs';

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..');
await bundleSources({
  entry: join(cliDir, 'src', 'main.ts'),
  outfile: process.argv[2] ?? join(cliDir, 'dist', 'steward.mjs'),
  inline: /^@steward\/(client|core)(\/|$)/,
  generator: 'packages/cli/scripts/build-bundle.mjs',
});
