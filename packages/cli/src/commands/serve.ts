import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { App } from '../app.ts';
import { parsePositiveInt } from '../args.ts';

export interface ServeOptions {
  host: string;
  port: number;
  dataDir: string;
  db?: string;
  store?: string;
  auth: boolean;
}

/** `steward serve` only delegates to the server package; loaded lazily so other commands stay light. */
export function registerServeCommand(program: Command, app: App): void {
  program
    .command('serve')
    .description('run the Steward server')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--port <port>', 'port', '7600')
    .option('--data <dir>', 'data directory (default $STEWARD_DATA or ./.steward)')
    .option('--db <url>', 'metadata database (default: SQLite in the data directory)')
    .option('--store <url>', 'object store (default: files in the data directory)')
    .option('--no-auth', 'accept requests without a token (local experiments only)')
    .action(async (o: { host: string; port: string; data?: string; db?: string; store?: string; auth: boolean }) => {
      const opts: ServeOptions = {
        host: o.host,
        port: parsePositiveInt(o.port),
        dataDir: resolve(app.io.cwd, o.data ?? (app.io.env.STEWARD_DATA || '.steward')),
        db: o.db,
        store: o.store,
        auth: o.auth,
      };
      const spec = '@steward/server'; // a variable keeps the server out of the CLI's type graph until it exists
      const server = (await import(spec)) as { startServer: (o: ServeOptions) => Promise<unknown> };
      await server.startServer(opts);
    });
}
