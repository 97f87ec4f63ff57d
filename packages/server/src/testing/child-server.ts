import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./serve-child.mjs', import.meta.url));

/**
 * A server in its own process, so a test can SIGKILL it mid-request and start it again on the same
 * data. It runs what `steward serve` runs: the server bundle while fresh, else the sources.
 */
export async function spawnServer(dataDir: string, db?: string): Promise<{ url: string; token: string; from: 'bundle' | 'sources'; proc: ChildProcess; kill: () => Promise<void> }> {
  // STEWARD_SERVER_NODE_ARGS: extra node flags for the server only (profiling a bench: --perf-basic-prof, --trace-gc).
  const nodeArgs = (process.env.STEWARD_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, script, dataDir, ...(db ? [db] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    // Node's own output (--trace-gc) goes on to stderr, before the ready line and after it.
    rl.on('line', (l) => {
      if (l.startsWith('{"url"')) resolve(l);
      else process.stderr.write(`${l}\n`);
    });
    proc.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
  });
  const { url, token, from } = JSON.parse(line) as { url: string; token: string; from: 'bundle' | 'sources' };
  return {
    url,
    token,
    from,
    proc,
    kill: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      }),
  };
}
