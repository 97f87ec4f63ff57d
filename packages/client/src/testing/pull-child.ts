/**
 * A pull in its own process, so a test can SIGKILL it mid-way:
 * `node --import tsx pull-child.ts` with STEWARD_URL, STEWARD_TOKEN, PULL_MODEL, PULL_REF,
 * PULL_OUT, PULL_HOME, PULL_CACHE and PULL_BATCH_BYTES.
 */
import { StewardClient } from '../client.ts';
import { pullVersion } from '../node/pull.ts';

const env = process.env;
const client = new StewardClient({ url: env.STEWARD_URL!, token: env.STEWARD_TOKEN });
await pullVersion(client, {
  model: env.PULL_MODEL!,
  ref: env.PULL_REF!,
  outDir: env.PULL_OUT!,
  home: env.PULL_HOME,
  cacheDir: env.PULL_CACHE,
  fetch: { batchBytes: Number(env.PULL_BATCH_BYTES ?? 16 << 20), concurrency: 1 },
});
