import type { FetchLike } from '../http.ts';
import type { NodeProfile } from '../api/fleet.ts';

/** The files of one installed, verified version. */
export interface InstalledFiles {
  /** Local directory holding the files (Node installers); absent for storage-backed ones. */
  readonly dir?: string;
  readonly paths: readonly string[];
  read(path: string): Promise<Uint8Array>;
}

/** Loads a verified version into memory and runs it. `H` is the loaded handle (e.g. an ONNX session). */
export interface ModelLoader<H = unknown, I = unknown, O = unknown> {
  load(v: { model: string; version: string; files: InstalledFiles }): Promise<H>;
  run(handle: H, input: I): Promise<O>;
  unload?(handle: H): Promise<void> | void;
}

/** What an installer hands back: the files, and the manifest digest it computed and verified. */
export interface Installed {
  readonly model: string;
  readonly version: string;
  /** SHA-256 hex of the UTF-8 of canonicalJson(signed manifest): what quorum counts. */
  readonly digest: string;
  readonly files: InstalledFiles;
}

/** Fetches a version, verifies its signature and file digests, and stores it. */
export interface Installer {
  install(model: string, version: string): Promise<Installed>;
}

/** Byte storage for agents without a filesystem (browsers: IndexedDB, Cache API, memory). */
export interface AgentStorage {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

export interface AgentOptions<H = unknown, I = unknown, O = unknown> {
  url: string;
  token?: string;
  nodeId: string;
  /** Channels this node serves. */
  channels: { model: string; channel: string }[];
  profile?: NodeProfile;
  appVersion?: string;
  loader: ModelLoader<H, I, O>;
  /** Node: where versions are kept (uses pullVersion). */
  cacheDir?: string;
  /** Browsers: byte storage (files are verified with WebCrypto). */
  storage?: AgentStorage;
  /** Or a custom installer (tests, other transports). */
  installer?: Installer;
  /** Node: where the server's signing key is pinned (default STEWARD_HOME or ~/.steward). */
  home?: string;
  /** Blocks to keep an old table loaded after the switch (late retries, skew). Default 2. */
  drainBlocks?: number;
  /** Wall clock in ms (tests inject a fake one). */
  now?: () => number;
  fetch?: FetchLike;
  /**
   * With `start`: long-poll the server for new tables (default on, `waitMs` 30 s, at most 60 s) so a
   * transition reaches the node in about one round trip; `false` learns of them by heartbeat only.
   */
  longPoll?: false | { waitMs?: number };
  /** Errors in background sync (default: console.error). */
  onError?: (err: unknown) => void;
}

/** A submitted request: the block it was stamped with and the handle of that block's table. */
export interface Ticket<H = unknown> {
  readonly model: string;
  readonly block: number;
  readonly version: string;
  readonly variant: string;
  readonly arm: string;
  readonly handle: H;
  /** Marks the request finished, so its version may be unloaded once drained. Idempotent. */
  done(outcome?: { error?: boolean; latencyMs?: number }): void;
}
