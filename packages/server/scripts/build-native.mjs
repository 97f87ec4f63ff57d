// Builds the server's optional addon with node-gyp (native/: malloc_trim for src/memory-trim.ts,
// aligned buffers for O_DIRECT in src/storage/direct-io.ts). npm runs this on install. The server
// runs without the addon (it keeps more memory resident and writes packs through the page cache),
// so a machine without a C compiler gets one warning line, not a failed install.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');
if (process.platform !== 'linux') process.exit(0); // malloc_trim is glibc's, and O_DIRECT is only used on Linux
// npm hands its bundled node-gyp to install scripts; outside npm, try one on the PATH.
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const run = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });
if (run.status !== 0) {
  const why = run.error?.message ?? (run.stderr || run.stdout).trim().split('\n').filter((l) => /ERR!|error/i.test(l))[0] ?? `exit ${run.status}`;
  console.warn(`steward: the optional native addon (memory trim, O_DIRECT buffers) was not built (${why}); the server runs without it`);
}
