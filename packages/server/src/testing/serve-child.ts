// Runs a real server in a child process for kill tests: prints one JSON line {url, token} when ready.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../server.ts';

const dataDir = process.argv[2]!;
const db = process.argv[3];
const s = await startServer({ port: 0, dataDir, quiet: true, ...(db ? { db } : {}) });
const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
process.stdout.write(`${JSON.stringify({ url: s.url, token })}\n`);
