import { StewardError, resolve, tableAt, type RoutingTable, type UnitContext } from '@steward/core';
import type { DesiredTables, FleetTable, HeartbeatAnswer } from '../api/fleet.ts';
import { StewardClient } from '../client.ts';
import { createStorageInstaller } from './storage-installer.ts';
import { type History, mergeHistory, versionsToKeep } from './served-tables.ts';
import { createTelemetryBuffer } from './telemetry.ts';
import type { AgentOptions, Installed, Installer, Ticket } from './types.ts';

export interface SubmitOptions {
  /** Sticky routing key (user, session, device). */
  unit?: string;
  context?: UnitContext;
}

export interface AgentStatus {
  block: number | null;
  lagging: boolean;
  loaded: string[];
  channels: { model: string; channel: string; history: History; pending: FleetTable | null }[];
}

const key = (model: string, version: string) => `${model}@${version}`;

/** Abort reason of a long-poll dropped to ask again from a newer etag (not an error). */
const REPOLL = Symbol('repoll');

/**
 * The agent that runs inside a service or app: it heartbeats, pulls and verifies the versions its
 * channels need, loads them through `loader`, and serves each request with the table in force at
 * the block the request was submitted in (DESIGN, Fleet transitions 4).
 *
 * @example
 * const agent = createAgent({ url, token, nodeId: 'api-1', channels: [{ model: 'fraud', channel: 'production' }],
 *   cacheDir: './.steward-cache', loader: await createOnnxLoader() });
 * await agent.start();
 * const scores = await agent.run('fraud', { input: tensor }, { unit: userId });
 */
export function createAgent<H = unknown, I = unknown, O = unknown>(opts: AgentOptions<H, I, O>) {
  const now = opts.now ?? (() => Date.now());
  const drainBlocks = opts.drainBlocks ?? 2;
  const client = new StewardClient({ url: opts.url, ...(opts.token ? { token: opts.token } : {}), ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  const onError = opts.onError ?? ((err: unknown) => console.error('steward agent:', err));
  const tel = createTelemetryBuffer();
  const channels = new Map<string, { channel: string; history: History; pending: FleetTable | null }>();
  for (const c of opts.channels) channels.set(c.model, { channel: c.channel, history: [], pending: null });
  const installed = new Map<string, Installed>();
  const loaded = new Map<string, H>();
  const loading = new Map<string, Promise<H>>();
  const inflight = new Map<string, number[]>();
  let clock: { genesisMs: number; intervalMs: number } | undefined;
  let lagging = false;
  /** Block of the last answer and the server's activation delay: knowledge older than that may miss a switch. */
  let syncedAt = -Infinity;
  let staleAfter = 10;
  let health: 'ok' | 'degraded' | 'failing' = 'ok';
  /** Etag of the tables this agent knows (long-poll `since`). */
  let etag: string | undefined;
  const longPollMs = opts.longPoll === false ? 0 : Math.min(60_000, Math.max(1000, opts.longPoll?.waitMs ?? 30_000));

  let installerP: Promise<Installer> | undefined;
  const installer = () =>
    (installerP ??= (async () => {
      if (opts.installer) return opts.installer;
      if (opts.storage) return createStorageInstaller(client, opts.storage);
      if (opts.cacheDir) {
        // Node only; kept out of browser bundles by the variable specifier.
        const mod = './node/fs-installer.ts';
        const { createFsInstaller } = (await import(/* @vite-ignore */ mod)) as typeof import('./node/fs-installer.ts');
        return createFsInstaller(client, { cacheDir: opts.cacheDir, ...(opts.home ? { home: opts.home } : {}) });
      }
      throw new StewardError('agent_misconfigured', 'createAgent needs cacheDir (Node), storage (browsers) or installer', 0);
    })());

  function currentBlock(): number {
    if (!clock) throw new StewardError('agent_not_synced', 'the agent has not heartbeated yet: call agent.sync() or agent.start() first', 0);
    return Math.max(0, Math.floor((now() - clock.genesisMs) / clock.intervalMs));
  }

  /** Installs (verify + store) and loads one version once; concurrent callers share the work. */
  function ensure(model: string, version: string): Promise<H> {
    const k = key(model, version);
    const have = loaded.get(k);
    if (have !== undefined) return Promise.resolve(have);
    let p = loading.get(k);
    if (!p) {
      p = (async () => {
        const inst = await (await installer()).install(model, version);
        const handle = await opts.loader.load({ model, version, files: inst.files });
        installed.set(k, inst);
        loaded.set(k, handle);
        return handle;
      })().finally(() => loading.delete(k));
      loading.set(k, p);
    }
    return p;
  }

  async function heartbeat(): Promise<HeartbeatAnswer> {
    const telemetry = tel.drain();
    try {
      return await client.fleet.heartbeat(opts.nodeId, {
        channels: opts.channels,
        installed: [...installed.values()].filter((i) => loaded.has(key(i.model, i.version))).map((i) => ({ model: i.model, version: i.version, digest: i.digest })),
        ...(opts.profile ? { profile: opts.profile } : {}),
        ...(opts.appVersion ? { appVersion: opts.appVersion } : {}),
        health,
        ...(telemetry.length ? { telemetry } : {}),
        clockMs: Math.round(now()),
      });
    } catch (err) {
      tel.restore(telemetry);
      throw err;
    }
  }

  function apply(answer: HeartbeatAnswer | DesiredTables) {
    // The etag names the tables just applied, whichever answer brought them: a heartbeat answered
    // from an older view than the last long-poll then makes the next long-poll answer at once
    // with the newer tables, instead of waiting on an etag the agent no longer holds.
    etag = answer.etag;
    // A long-poll held on another etag waits for a change the agent no longer needs to hear about
    // (or hides one it now lacks): ask again from what it holds.
    if (polling !== undefined && polling !== etag) pollAbort?.abort(REPOLL);
    clock = { genesisMs: answer.genesisMs, intervalMs: answer.intervalMs };
    syncedAt = answer.currentBlock;
    // Any switch is announced at least this many blocks ahead (quorum: activationDelay; rollback: rollbackDelay).
    staleAfter = Math.max(1, Math.min(answer.activationDelay, answer.rollbackDelay));
    if ('lagging' in answer) lagging = answer.lagging;
    for (const ch of answer.channels) {
      const st = channels.get(ch.model);
      if (!st) continue;
      st.history = mergeHistory(st.history, ch.history);
      st.pending = ch.pending?.table ?? null;
    }
  }

  /** Unloads versions no table, pending change or in-flight request needs any more. */
  async function gc(): Promise<string[]> {
    if (!clock) return [];
    const block = currentBlock();
    const dropped: string[] = [];
    for (const [model, st] of channels) {
      const keep = versionsToKeep(st.history, block, inflight.get(model) ?? [], drainBlocks, st.pending);
      for (const [k, handle] of loaded) {
        if (!k.startsWith(`${model}@`) || keep.has(k.slice(model.length + 1))) continue;
        loaded.delete(k);
        installed.delete(k);
        dropped.push(k);
        await opts.loader.unload?.(handle);
      }
    }
    return dropped;
  }

  let reporting: Promise<void> | undefined;
  /** A heartbeat in the background (coalesced): reports installs that finished between rounds. */
  const report = () =>
    (reporting ??= heartbeat()
      .then(apply)
      .catch(onError)
      .finally(() => {
        reporting = undefined;
      }));

  /**
   * One sync round: heartbeat, fetch and load what is missing, report it, unload what drained.
   * With `wait` (default) the round waits for the installs and reports them before resolving;
   * without it (the `start` loop) installs continue in the background and each is reported by a
   * heartbeat as soon as it completes, so a slow download never silences the node's heartbeats.
   * Resolves to the last answer; `caughtUp` says the node lagged and no longer does.
   */
  async function sync(o: { wait?: boolean } = {}): Promise<HeartbeatAnswer & { caughtUp: boolean }> {
    let answer = await heartbeat();
    const lagged = answer.lagging;
    apply(answer);
    const wanted = answer.channels.flatMap((c) => c.missing.map((v) => ({ model: c.model, version: v })));
    const started = wanted.map((w) => ({ fresh: !loading.has(key(w.model, w.version)), p: ensure(w.model, w.version) }));
    const installs = started.map((x) => x.p);
    if (o.wait === false) {
      // Only the installs this round started get a report handler; ones already running have theirs.
      for (const { p } of started.filter((x) => x.fresh)) {
        p.then(() => void report(), (err: unknown) => {
          health = 'degraded';
          onError(err);
        });
      }
    } else if (installs.length > 0) {
      const results = await Promise.allSettled(installs);
      const failed = results.filter((r) => r.status === 'rejected');
      health = failed.length === 0 ? 'ok' : 'degraded';
      for (const f of failed) onError((f as PromiseRejectedResult).reason);
      if (failed.length < results.length) {
        answer = await heartbeat(); // report the new installs now: they may complete a quorum
        apply(answer);
      }
    }
    await gc();
    return { ...answer, caughtUp: lagged && !answer.lagging };
  }

  /** Resolves when no install or background report is in flight (tests, graceful shutdown). */
  async function settled(): Promise<void> {
    while (loading.size > 0 || reporting) {
      await Promise.allSettled([...loading.values(), reporting]);
    }
  }

  const isStale = () => !clock || currentBlock() >= syncedAt + staleAfter;

  function stamp(model: string, o: SubmitOptions) {
    const st = channels.get(model);
    if (!st) throw new StewardError('model_not_served', `this agent does not serve ${model}; add it to channels`, 0, { model });
    const block = currentBlock();
    if (block >= syncedAt + staleAfter) {
      // A quorum switch is announced at least activationDelay blocks ahead; past that, this node
      // may not know the table in force. Refuse rather than serve a table that may be gone.
      throw new StewardError('agent_stale', `no heartbeat answer since block ${syncedAt} (now ${block}): the table in force is unknown; sync first`, 503, { syncedAt, block });
    }
    const table = tableAt(st.history, block);
    if (!table) throw new StewardError('no_table', `${model}/${st.channel} has no table in force at block ${block}`, 0, { model, block });
    const decision = resolve(table as RoutingTable, o.unit, o.context ?? {});
    const list = inflight.get(model) ?? [];
    list.push(block);
    inflight.set(model, list);
    let finished = false;
    const done = (outcome: { error?: boolean; latencyMs?: number } = {}) => {
      if (finished) return;
      finished = true;
      list.splice(list.indexOf(block), 1);
      tel.record(model, decision.version, outcome);
      void gc().catch(onError);
    };
    return { block, decision, done };
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let loop: Promise<void> | undefined;

  /**
   * Long-poll loop (with `start`): holds GET /nodes/{id}/desired until the node's tables change,
   * applies the new tables at once and syncs (fetch, verify, load, report), so a transition reaches
   * this node within about one round trip instead of one heartbeat interval. Heartbeats go on for
   * liveness, telemetry and installs. Errors back off (1 s → 30 s); `stop` aborts the held request.
   */
  let pollAbort: AbortController | undefined;
  /** The etag the long-poll in flight asked with. */
  let polling: string | undefined;
  let watching: Promise<void> | undefined;
  let pollSync: Promise<unknown> | undefined;
  let pollSyncAgain = false;
  const syncFromPoll = () => {
    if (pollSync) return void (pollSyncAgain = true);
    pollSync = sync({ wait: false })
      .catch(onError)
      .finally(() => {
        pollSync = undefined;
        if (pollSyncAgain && running) {
          pollSyncAgain = false;
          syncFromPoll();
        }
      });
  };
  async function watch(): Promise<void> {
    let backoff = 1000;
    while (running) {
      const ac = (pollAbort = new AbortController());
      polling = etag;
      try {
        const r = await client.fleet.waitDesired(opts.nodeId, { ...(etag ? { since: etag } : {}), waitMs: longPollMs, signal: ac.signal });
        polling = undefined;
        backoff = 1000;
        if (!running) break;
        // A 304 says nothing changed since the etag asked with; the agent's own etag stays as is.
        if (r.changed) {
          apply(r.tables);
          syncFromPoll();
        }
      } catch (err) {
        polling = undefined;
        if (!running) break;
        if (ac.signal.reason === REPOLL) continue;
        onError(err);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, backoff);
          pollAbort?.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        });
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  return {
    client,
    currentBlock,
    sync,
    settled,
    gc,
    /**
     * Stamps a request with the current block and returns the handle of that block's table.
     * Throws `version_not_loaded` when this node lags behind the table in force (use `run`,
     * which waits for the load). Call `ticket.done()` when the request finishes.
     */
    submit(model: string, o: SubmitOptions = {}): Ticket<H> {
      const s = stamp(model, o);
      const handle = loaded.get(key(model, s.decision.version));
      if (handle === undefined) {
        s.done({ error: true });
        void ensure(model, s.decision.version).catch(onError);
        throw new StewardError('version_not_loaded', `${model}@${s.decision.version} is in force at block ${s.block} but not loaded yet; retry shortly`, 503, { model, version: s.decision.version, block: s.block });
      }
      return { model, block: s.block, ...s.decision, handle, done: s.done };
    },
    /** Submit + run + done: records latency and errors for the next heartbeat. */
    async run(model: string, input: I, o: SubmitOptions = {}): Promise<O> {
      if (isStale()) await sync();
      const s = stamp(model, o);
      const t0 = typeof performance !== 'undefined' ? performance.now() : Date.now();
      try {
        const handle = await ensure(model, s.decision.version);
        const out = await opts.loader.run(handle, input);
        s.done({ latencyMs: (typeof performance !== 'undefined' ? performance.now() : Date.now()) - t0 });
        return out;
      } catch (err) {
        s.done({ error: true });
        throw err;
      }
    },
    /** Like `run` but also says which version served it (tests, shadow comparisons). */
    async runTraced(model: string, input: I, o: SubmitOptions = {}): Promise<{ output: O; version: string; block: number }> {
      if (isStale()) await sync();
      const s = stamp(model, o);
      try {
        const out = await opts.loader.run(await ensure(model, s.decision.version), input);
        s.done({});
        return { output: out, version: s.decision.version, block: s.block };
      } catch (err) {
        s.done({ error: true });
        throw err;
      }
    },
    status(): AgentStatus {
      return {
        block: clock ? currentBlock() : null,
        lagging,
        loaded: [...loaded.keys()].sort(),
        channels: [...channels].map(([model, st]) => ({ model, channel: st.channel, history: st.history, pending: st.pending })),
      };
    },
    /**
     * Syncs now, then heartbeats every interval the server suggests (errors back off, never throw)
     * and long-polls for new tables in between (unless `longPoll: false`).
     */
    async start(): Promise<void> {
      running = true;
      let wait = 5000;
      const tick = async () => {
        try {
          wait = (await sync({ wait: false })).heartbeatIntervalMs;
        } catch (err) {
          onError(err);
          wait = Math.min(wait * 2, 60_000);
        }
        if (running) timer = setTimeout(() => void (loop = tick()), wait);
      };
      await (loop = tick());
      if (longPollMs > 0 && running) watching ??= watch().finally(() => (watching = undefined));
    },
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      pollAbort?.abort();
      await Promise.all([loop, watching, pollSync]);
    },
    /** Stops and unloads everything. */
    async close(): Promise<void> {
      await this.stop();
      for (const h of loaded.values()) await opts.loader.unload?.(h);
      loaded.clear();
      installed.clear();
    },
  };
}

export type Agent<H = unknown, I = unknown, O = unknown> = ReturnType<typeof createAgent<H, I, O>>;
