/**
 * A real agent process for the fleet tests: `node --import tsx agent-child.ts URL TOKEN NODE_ID DIR`.
 * Syncs every 150 ms (background installs through the real pull + verify), submits a request
 * every 40 ms that "computes" for 0–300 ms, prints one JSON line per served request
 * (`{ block, version }`), and exits once stdin closes and its requests have finished.
 */
import { join } from 'node:path';
import { createAgent } from '../../../../client/src/agent/index.ts';

async function main() {
  const [url, token, nodeId, dir] = process.argv.slice(2);
  let stopped = false;
  process.stdin.on('end', () => (stopped = true)).resume();
  const agent = createAgent<{ version: string }, number, string>({
    url: url!,
    token: token!,
    nodeId: nodeId!,
    channels: [{ model: 'proc', channel: 'prod' }],
    cacheDir: join(dir!, 'cache'),
    home: join(dir!, 'home'),
    drainBlocks: 2,
    onError: () => undefined,
    loader: {
      load: async ({ version }) => ({ version }),
      run: async (h, wait) => {
        await new Promise((r) => setTimeout(r, wait));
        return h.version;
      },
    },
  });
  await agent.sync();
  const syncer = setInterval(() => void agent.sync({ wait: false }).catch(() => undefined), 150);
  const running: Promise<void>[] = [];
  let n = 0;
  while (!stopped) {
    running.push(
      agent.runTraced('proc', Math.floor(Math.random() * 300), { unit: `u${n++}` }).then(
        (r) => void process.stdout.write(`${JSON.stringify({ block: r.block, version: r.version, output: r.output })}\n`),
        (err: Error) => void process.stdout.write(`${JSON.stringify({ error: err.message })}\n`),
      ),
    );
    await new Promise((r) => setTimeout(r, 40));
  }
  await Promise.all(running);
  clearInterval(syncer);
  await agent.close();
  process.exit(0);
}
void main();
