import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./serve-child.ts', import.meta.url));

/** A server in its own process, so a test can SIGKILL it mid-request and start it again on the same data. */
export async function spawnServer(dataDir: string, db?: string): Promise<{ url: string; token: string; proc: ChildProcess; kill: () => Promise<void> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, dataDir, ...(db ? [db] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
  });
  const { url, token } = JSON.parse(line) as { url: string; token: string };
  return {
    url,
    token,
    proc,
    kill: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      }),
  };
}
