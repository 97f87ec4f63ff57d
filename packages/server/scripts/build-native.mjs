// Builds the server's optional addon (native/: malloc_trim, see src/memory-trim.ts) with node-gyp.
// npm runs this on install. The server runs without the addon (it only keeps more memory
// resident), so a machine without a C compiler gets one warning line, not a failed install.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');
if (process.platform !== 'linux') process.exit(0); // malloc_trim is glibc's: nothing to build elsewhere
// npm hands its bundled node-gyp to install scripts; outside npm, try one on the PATH.
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const run = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });
if (run.status !== 0) {
  const why = run.error?.message ?? (run.stderr || run.stdout).trim().split('\n').filter((l) => /ERR!|error/i.test(l))[0] ?? `exit ${run.status}`;
  console.warn(`steward: the optional memory-trim addon was not built (${why}); the server runs without it`);
}
