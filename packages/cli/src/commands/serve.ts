import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { App } from '../app.ts';
import { UsageError } from '../args.ts';

/** What `startServer` takes; unset fields fall back to config.json, STEWARD_* env, then defaults (server side). */
export interface ServeOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  db?: string;
  store?: string;
  auth?: boolean;
}

interface ServeFlags {
  host?: string;
  port?: string;
  data?: string;
  db?: string;
  store?: string;
  auth?: boolean;
}

/** `steward serve` only delegates to the server package, loaded lazily so other commands stay light. */
export function registerServeCommand(program: Command, app: App): void {
  program
    .command('serve')
    .description('run the Steward server')
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option('--port <port>', 'port (default 7600)')
    .option('--data <dir>', 'data directory (default $STEWARD_DATA or ./.steward)')
    .option('--db <url>', 'metadata database (default: SQLite in the data directory)')
    .option('--store <url>', 'object store (default: files in the data directory)')
    .option('--auth', 'require tokens (default)')
    .option('--no-auth', 'accept requests without a token (loopback only)')
    .action(async (o: ServeFlags) => {
      // Only flags actually given are passed, so config.json and STEWARD_* keep working.
      const opts: ServeOptions = {
        host: o.host,
        port: o.port === undefined ? undefined : parsePort(o.port),
        dataDir: o.data === undefined ? undefined : resolve(app.io.cwd, o.data),
        db: o.db,
        store: o.store,
        auth: o.auth,
      };
      const spec = '@steward/server'; // a variable keeps the server out of the CLI's type graph
      const server = (await import(spec)) as { startServer: (o: ServeOptions, env: Record<string, string | undefined>) => Promise<unknown> };
      await server.startServer(opts, { ...app.io.env, STEWARD_DATA: resolveData(app) });
    });
}

/** The server resolves a relative STEWARD_DATA against process.cwd(); pin it to the CLI's cwd. */
function resolveData(app: App): string | undefined {
  const d = app.io.env.STEWARD_DATA;
  return d ? resolve(app.io.cwd, d) : undefined;
}

function parsePort(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be 0-65535, got "${raw}"`);
  return n;
}
