import { spawn } from 'node:child_process';

/**
 * Starts `steward serve --port 0` as a real process (`entry` is bin/steward.js or a bundle) and
 * resolves once it logs its URL; `stderr()` is everything it wrote so far.
 */
export async function spawnServe(entry: string, cwd: string, env: NodeJS.ProcessEnv = { ...process.env, STEWARD_DATA: '' }) {
  const child = spawn(process.execPath, [entry, 'serve', '--port', '0'], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { url, child, stderr: () => err };
}
