#!/usr/bin/env node
// Runs the CLI bundle when it is up to date with the sources (fast start, no TypeScript loader),
// else the TypeScript sources through tsx (resolved from this file, not from the caller's cwd).
import { fileURLToPath } from 'node:url';
import { bundleIsFresh } from '../../../scripts/bundle-freshness.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const bundle = here('../dist/steward.mjs');
const sources = [here('../src'), here('../../client/src'), here('../../core/src')];
const manifests = [here('../package.json'), here('../../client/package.json'), here('../../core/package.json')];

if (process.env.STEWARD_CLI_SOURCES !== '1' && bundleIsFresh(bundle, sources, manifests)) {
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  globalThis.__stewardTypeScriptLoader = true;
  await import('../src/main.ts');
}
