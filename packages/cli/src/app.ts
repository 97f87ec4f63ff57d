import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { StewardClient } from '@steward/client';

export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}
export interface InStream extends NodeJS.ReadableStream {
  isTTY?: boolean;
}

/** Everything the CLI touches outside itself, so tests can run it in-process. */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: OutStream;
  stderr: OutStream;
  stdin: InStream;
  cwd: string;
}

export interface Globals {
  url: string;
  token: string | undefined;
  json: boolean;
}

export const DEFAULT_URL = 'http://127.0.0.1:7600';

/** Per-run state shared by the command handlers. */
export class App {
  constructor(readonly io: CliIo) {}

  globals(cmd: Command): Globals {
    const o = cmd.optsWithGlobals<{ url?: string; token?: string; json?: boolean }>();
    // Empty env vars count as unset (`STEWARD_TOKEN= steward …`).
    const url = o.url || this.io.env.STEWARD_URL || DEFAULT_URL;
    return { url, token: o.token || this.io.env.STEWARD_TOKEN || this.#localAdminToken(url), json: o.json === true };
  }

  client(cmd: Command): StewardClient {
    const g = this.globals(cmd);
    return new StewardClient({ url: g.url, token: g.token });
  }

  /** Prints `value` as JSON with --json, else the human rendering. */
  print(cmd: Command, value: unknown, human: () => string): void {
    if (this.globals(cmd).json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else {
      const text = human();
      if (text) this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** Progress and notes: stderr, so stdout stays clean for --json and pipes. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /**
   * On the same machine as `steward serve`, the admin token it wrote is picked up so a fresh
   * install works without copying secrets. Only for loopback URLs: never sent elsewhere.
   */
  #localAdminToken(url: string): string | undefined {
    if (!isLoopback(url)) return undefined;
    const file = this.#adminTokenFile();
    if (!file) return undefined;
    return readFileSync(file, 'utf8').trim() || undefined;
  }

  /** STEWARD_DATA's token, else the nearest `.steward/admin.token` in the cwd or a parent (like git). */
  #adminTokenFile(): string | undefined {
    if (this.io.env.STEWARD_DATA) {
      const f = join(resolve(this.io.cwd, this.io.env.STEWARD_DATA), 'admin.token');
      return existsSync(f) ? f : undefined;
    }
    for (let dir = resolve(this.io.cwd); ; dir = dirname(dir)) {
      const f = join(dir, '.steward', 'admin.token');
      if (existsSync(f)) return f;
      if (dirname(dir) === dir) return undefined;
    }
  }
}

export function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}
