/**
 * A push in its own process, so a test can SIGKILL it mid-way:
 * `node --import tsx push-child.ts` with STEWARD_URL, STEWARD_TOKEN, PUSH_MODEL, PUSH_VERSION,
 * PUSH_DIR (cwd of the paths), PUSH_PATHS (comma-separated) and PUSH_BATCH_BYTES.
 */
import { StewardClient } from '../client.ts';
import { pushVersion } from '../node/push.ts';

const env = process.env;
const client = new StewardClient({ url: env.STEWARD_URL!, token: env.STEWARD_TOKEN });
await pushVersion(client, {
  model: env.PUSH_MODEL!,
  version: env.PUSH_VERSION!,
  paths: env.PUSH_PATHS!.split(','),
  cwd: env.PUSH_DIR,
  threads: 0,
  upload: { batchBytes: Number(env.PUSH_BATCH_BYTES ?? 16 << 20), concurrency: 1 },
});
