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
    .action(async (o: ServeFlags, cmd: Command) => {
      // Only flags actually given are passed, so config.json and STEWARD_* keep working.
      const opts: ServeOptions = {
        host: o.host,
        port: o.port === undefined ? undefined : parsePort(o.port),
        dataDir: o.data === undefined ? undefined : resolve(app.io.cwd, o.data),
        db: o.db,
        store: o.store,
        // commander defaults `auth` to true because of --no-auth; pass it only when typed, so STEWARD_AUTH works.
        auth: cmd.getOptionValueSource('auth') === 'cli' ? o.auth : undefined,
      };
      // The server's bundle while it is fresh, else its TypeScript sources (packages/server/bin/load.mjs).
      const spec = '@steward/server/load'; // a variable keeps the server out of the CLI's type graph
      const { loadServer } = (await import(spec)) as { loadServer: () => Promise<{ from: 'bundle' | 'sources'; server: { startServer: (o: ServeOptions, env: Record<string, string | undefined>) => Promise<{ close(): Promise<void> }> } }> };
      const { server, from } = await loadServer();
      if (from === 'sources' && app.io.env.STEWARD_SERVER_SOURCES !== '1') app.note('steward: server bundle missing or older than the sources; running the TypeScript sources (npm run build:server makes it)');
      const running = await server.startServer(opts, { ...app.io.env, STEWARD_DATA: resolveData(app) });
      // Ctrl-C / SIGTERM: stop accepting, flush monitoring windows, close the database, then exit.
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) process.exit(1); // a second signal: leave now
        stopping = true;
        app.note(`steward: ${signal}, shutting down`);
        running.close().then(
          () => process.exit(0),
          (err: unknown) => {
            app.note(`steward: shutdown failed: ${(err as Error).message}`);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
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
