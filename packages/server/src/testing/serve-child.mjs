// Runs a real server in a child process for kill tests and benchmarks: prints one JSON line
// {url, token, from} when ready. The server module comes the way `steward serve` loads it (its
// bundle while fresh, else the sources through tsx: bin/load.mjs), so a benchmark measures the
// process users run. `node serve-child.mjs DATA_DIR [DB_URL]`
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServer } from '../../bin/load.mjs';

const dataDir = process.argv[2];
const db = process.argv[3];
const { server, from } = await loadServer();
const s = await server.startServer({ port: 0, dataDir, quiet: true, ...(db ? { db } : {}) });
const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
process.stdout.write(`${JSON.stringify({ url: s.url, token, from })}\n`);
