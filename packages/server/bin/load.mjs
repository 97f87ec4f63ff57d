// Loads the server module for `steward serve` and the process-level tests: the bundle
// (scripts/build-bundle.mjs) while it is newer than every source file it was built from, else the
// TypeScript sources through tsx (registered here, once per process), so an edit is never masked
// by a stale bundle. STEWARD_SERVER_SOURCES=1 forces the sources; STEWARD_SERVER_BUNDLE=FILE
// names another bundle (still only used while fresh; tests build one elsewhere).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleIsFresh } from '../../../scripts/bundle-freshness.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
export const defaultBundle = here('../dist/server.mjs');
const sources = [here('../src'), here('../../core/src')];
const manifests = [here('../package.json'), here('../../core/package.json')];

/**
 * @param {{ bundle?: string }} [opts] `bundle`: another bundle file to load.
 * @returns {Promise<{ server: typeof import('../src/index.ts'), from: 'bundle' | 'sources' }>}
 */
export async function loadServer(opts = {}) {
  const bundle = opts.bundle ?? process.env.STEWARD_SERVER_BUNDLE ?? defaultBundle;
  if (process.env.STEWARD_SERVER_SOURCES !== '1' && bundleIsFresh(bundle, sources, manifests)) {
    return { server: await import(pathToFileURL(bundle).href), from: 'bundle' };
  }
  if (!globalThis.__stewardTypeScriptLoader) {
    (await import('tsx/esm/api')).register();
    globalThis.__stewardTypeScriptLoader = true;
  }
  return { server: await import('../src/index.ts'), from: 'sources' };
}
