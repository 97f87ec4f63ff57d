import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, compareStable } from '@steward/core';
import type { Database } from '../../db/schema.ts';
import type { Principal } from '../../lib/context.ts';
import type { ChainService } from '../chain/chain.service.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { RoutingTable } from '../channels/channels.types.ts';
import { type ChannelRead, createDesiredCache } from './desired-cache.ts';
import { createDesiredWatch, parseWait } from './desired-watch.ts';
import { type SharedAnswer, channelAnswers, createAnswerCache } from './heartbeat-answer.ts';
import { createFleetController } from './fleet-controller.ts';
import { DEFAULT_FLEET_OPTIONS, type FleetOptions, toBlocks } from './fleet.options.ts';
import type { FleetNode, HeartbeatInput, InstalledVersion } from './fleet.types.ts';
import { createDigestLookup } from './manifest-digest.ts';
import { createNodeStoreSql } from './nodes.store.sql.ts';
import { type NodeCache, createNodeWriter } from './node-writer.ts';
import { createRateLimiter } from './rate-limit.ts';
import { createTransitionStoreSql } from './transitions.store.sql.ts';

export interface FleetDeps {
  db: Kysely<Database>;
  chain: ChainService;
  channels: ChannelService;
  now: () => Date;
  options?: Partial<FleetOptions>;
}

const chKey = (model: string, channel: string) => `${model}\u0000${channel}`;

/**
 * Nodes, heartbeats and fleet transitions. Listens to every channel change (transitions are
 * created there) and refuses, as a channel guard, a non-rollback move to a lower version of a
 * channel that has registered nodes: quorum never decides a downgrade (DESIGN, Fleet 6).
 */
export function createFleetService(deps: FleetDeps) {
  const options: FleetOptions = { ...DEFAULT_FLEET_OPTIONS, ...deps.options };
  const nodes = createNodeStoreSql(deps.db);
  const transitions = createTransitionStoreSql(deps.db);
  const digestOf = createDigestLookup(deps.db);
  const limiter = createRateLimiter({ burst: options.heartbeatBurst, perSecond: options.heartbeatPerSecond, now: () => deps.now().getTime() });
  const intervalMs = async () => (await deps.chain.clock()).intervalMs;
  /** What each channel's nodes should know (desired-cache.ts); dropped on any change this process makes. */
  const desiredCache = createDesiredCache({
    read: (model, channel) => readChannel(model, channel),
    onChanged: (k) => announce(k),
    log: (msg, err) => console.error(msg, err),
  });
  /** Heartbeat answers built from it, shared by nodes with the same report (heartbeat-answer.ts). */
  const answers = createAnswerCache();
  const watch = createDesiredWatch({ max: options.maxLongPolls });
  /** A channel's tables changed: answers built from the old ones go, and its long-polls wake. */
  const announce = (k: string) => {
    answers.invalidate();
    watch.notify(k);
  };
  /** Channels with registered nodes (refreshed each tick; guards cannot query inside the channel transaction). */
  const subscribed = new Set<string>();
  const controller = createFleetController({
    transitions,
    nodes,
    digestOf,
    currentBlock: deps.chain.currentBlock,
    intervalMs,
    now: deps.now,
    options,
    changed: (m, c) => {
      desiredCache.drop(chKey(m, c));
      announce(chKey(m, c));
    },
  });

  deps.channels.addGuard(async (c) => {
    if (c.kind === 'rollback' || !c.from || !subscribed.has(chKey(c.model, c.channel))) return;
    let dir: string;
    try {
      dir = compareStable(c.from, c.to);
    } catch {
      return;
    }
    if (dir === 'down') {
      throw new ConflictError(
        `${c.model}/${c.channel} has registered nodes: moving ${c.from.stable} → ${c.to.stable} lowers the version, which needs an explicit rollback (steward channel rollback ${c.model} ${c.channel} --to ${c.to.stable})`,
        { from: c.from.stable, to: c.to.stable },
        'downgrade_requires_rollback',
      );
    }
  });
  deps.channels.onChange((c) => controller.onChange(c));

  /** A channel's transitions waiting for quorum or scheduled (or its table when it has none). */
  async function readChannel(model: string, channel: string): Promise<ChannelRead> {
    const rows = await transitions.forChannel(model, channel, ['pending', 'scheduled']);
    let fallback: RoutingTable | null = null;
    if (rows.length === 0) fallback = await deps.channels.get(model, channel).then((ch) => ch.table, () => null);
    const tag = rows.length > 0 ? rows.map((r) => `${r.id}:${r.state}:${r.usableFromBlock ?? ''}`).join(',') : JSON.stringify(fallback);
    return { rows, fallback, tag };
  }
  /** What a node subscribed to `channels` should know, and its etag (what a long-poll compares). */
  async function desiredOf(channels: readonly { model: string; channel: string }[], block: number) {
    const entries = await Promise.all(channels.map((c) => desiredCache.get(c.model, c.channel, block)));
    const etag = createHash('sha256')
      .update(JSON.stringify(channels.map((c, i) => [c.model, c.channel, entries[i]!.tag]).sort((a, b) => (`${a[0]}\u0000${a[1]}` < `${b[0]}\u0000${b[1]}` ? -1 : 1))))
      .digest('base64url')
      .slice(0, 27);
    return { etag, channels: entries.map((e) => e.value) };
  }

  const knownModels = new Set<string>();
  /**
   * What this process last wrote or read for each node, so a steady heartbeat needs no read. The
   * database stays the truth: a touch applies only while the row's report_key is the one cached
   * here, so when another server recorded a different report meanwhile the touch misses, the entry
   * is dropped, and the node's next heartbeat re-reads the row (and records its report).
   */
  const nodeCache: NodeCache = new Map();
  const reportKeyOf = (tokenId: string, hb: HeartbeatInput, flagged: InstalledVersion[]) =>
    createHash('sha256')
      .update(JSON.stringify([tokenId, [...hb.channels].map((c) => `${c.model}\u0000${c.channel}`).sort(), hb.installed, flagged]))
      .digest('base64url');

  function checkClock(hb: HeartbeatInput): void {
    if (hb.clockMs !== undefined && Math.abs(hb.clockMs - deps.now().getTime()) > options.maxClockSkewMs) {
      throw new InvalidInputError(
        `the node's clock (${new Date(hb.clockMs).toISOString()}) is more than ${options.maxClockSkewMs / 1000} s from the server's (${deps.now().toISOString()}); fix the node's time sync`,
        { clockMs: hb.clockMs, serverMs: deps.now().getTime() },
        'clock_skew',
      );
    }
  }

  /** Unknown models or versions throw; returns the installs reported under another digest (flagged). */
  async function validate(hb: HeartbeatInput): Promise<InstalledVersion[]> {
    // Models are archived, never deleted: a name seen once stays valid.
    const models = [...new Set([...hb.channels.map((c) => c.model), ...hb.installed.map((i) => i.model)])].filter((m) => !knownModels.has(m));
    if (models.length > 0) {
      const found = new Set((await deps.db.selectFrom('models').select('name').where('name', 'in', models).execute()).map((r) => r.name));
      const missing = models.find((m) => !found.has(m));
      if (missing) throw new NotFoundError(`model "${missing}" not found`, { model: missing }, 'model_not_found');
      if (knownModels.size > 100_000) knownModels.clear();
      for (const m of models) knownModels.add(m);
    }
    const flagged: InstalledVersion[] = [];
    for (const i of hb.installed) {
      const d = await digestOf(i.model, i.version);
      if (!d) throw new NotFoundError(`version ${i.model}@${i.version} not found: a node can only report committed versions`, { model: i.model, version: i.version }, 'version_not_found');
      if (d !== i.digest) flagged.push(i);
    }
    return flagged;
  }

  const { write, flush } = createNodeWriter({ nodes, nodeCache });

  /** The answer to a heartbeat at `block` but for its nodeId (shared with nodes reporting the same). */
  async function buildAnswer(block: number, hb: HeartbeatInput, flagged: InstalledVersion[]): Promise<SharedAnswer> {
    const [want, clock] = await Promise.all([desiredOf(hb.channels, block), deps.chain.clock()]);
    const channels = channelAnswers(want.channels, hb.installed, flagged, block);
    return {
      currentBlock: block,
      genesisMs: clock.genesisMs,
      intervalMs: clock.intervalMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      activationDelay: options.activationDelay,
      rollbackDelay: options.rollbackDelay,
      lagging: channels.some((c) => c.lagging),
      flagged,
      channels,
      etag: want.etag,
    };
  }

  /**
   * Single-flight evaluation per channel, at most one per EVAL_GAP_MS: the first request evaluates
   * at once; requests during the evaluation or the gap after it share one trailing evaluation, so a
   * herd of first heartbeats (every node's first one is a record) costs ~5 evaluations a second,
   * not one each.
   */
  const evals = new Map<string, { dirty: boolean; loop: Promise<void> }>();
  const evaluateSoon = (model: string, channel: string): Promise<void> => {
    const k = chKey(model, channel);
    const cur = evals.get(k);
    if (cur) {
      cur.dirty = true; // the running loop evaluates once more, EVAL_GAP_MS after this pass
      return cur.loop;
    }
    // Throttled: one evaluation at a time per channel, and while requests keep arriving at most one
    // per EVAL_GAP_MS, so a herd of first heartbeats costs a few evaluations, not one each.
    const state = { dirty: false, loop: Promise.resolve() };
    state.loop = (async () => {
      try {
        do {
          state.dirty = false;
          await controller.evaluate(model, channel);
          await new Promise((r) => setTimeout(r, EVAL_GAP_MS));
        } while (state.dirty && !stopped);
      } finally {
        evals.delete(k);
      }
    })();
    evals.set(k, state);
    return state.loop;
  };

  const EVAL_GAP_MS = 200;
  let stopped = false;
  let lastTick = -1;
  let ticking: Promise<void> | undefined;
  /** Once per block: re-evaluate quorums (liveness changes), prune departed nodes, refresh the guard cache. */
  async function tick(): Promise<void> {
    const block = await deps.chain.currentBlock();
    if (block === lastTick) return;
    lastTick = block;
    await flush();
    await controller.evaluateAll();
    await nodes.pruneBefore(block - toBlocks(options.pruneAfterMs, await intervalMs()));
    // Read first, then swap: clearing before the await left the downgrade guard blind meanwhile.
    const subs = await nodes.subscribedChannels();
    subscribed.clear();
    for (const c of subs) subscribed.add(chKey(c.model, c.channel));
  }
  const tickOnce = () =>
    (ticking ??= tick().finally(() => {
      ticking = undefined;
    }));
  let timer: ReturnType<typeof setInterval> | undefined;

  /**
   * While long-polls are held: re-read the watched channels every longPollCheckMs and wake their
   * requests when a channel's tag differs from the cached one (a change made through another server;
   * one made here has already woken them). One query per watched channel, whatever the node count.
   */
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let checking = false;
  async function crossCheck(): Promise<void> {
    const keys = watch.watched();
    if (keys.length === 0) {
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = undefined;
      return;
    }
    const block = await deps.chain.currentBlock();
    for (const k of keys) {
      const [model, channel] = k.split('\u0000') as [string, string];
      if (await desiredCache.refresh(model, channel, block)) announce(k);
    }
  }
  const ensurePoller = () => {
    pollTimer ??= setInterval(() => {
      if (checking) return;
      checking = true;
      crossCheck()
        .catch((err: unknown) => console.error('long-poll check failed', err))
        .finally(() => (checking = false));
    }, options.longPollCheckMs);
    pollTimer.unref?.();
  };

  return {
    options,
    tick: tickOnce,
    evaluate: controller.evaluate,

    /**
     * Records a heartbeat and answers with what the node should serve. Bad input (unknown model or
     * version, clock skew, another token's node id) throws before anything is written.
     */
    async heartbeat(nodeId: string, hb: HeartbeatInput, by: Principal) {
      limiter.take(nodeId);
      checkClock(hb);
      // What decides the node's record and answer (with the token); telemetry, health and profile
      // only go to the liveness write. The same text as last time from the same token was validated
      // then, and its outcome cannot change: models are never deleted, committed versions never
      // change their digest.
      const report = JSON.stringify([hb.channels, hb.installed]);
      let prev = nodeCache.get(nodeId);
      const same = prev !== undefined && prev.report === report && prev.tokenId === by.id;
      const flagged = same ? prev!.flagged! : await validate(hb);
      if (!prev) {
        const row = await nodes.get(nodeId);
        prev = row ? { tokenId: row.tokenId, reportKey: row.reportKey, channels: await nodes.channelsOf(nodeId) } : undefined;
      }
      if (prev && prev.tokenId !== by.id && by.role !== 'admin') {
        throw new ForbiddenError(`node ${nodeId} belongs to another token; each node heartbeats with its own token`, { nodeId });
      }
      const prevChannels = prev?.channels ?? [];
      const block = await deps.chain.currentBlock();
      const at = deps.now().toISOString();
      const reportKey = same ? prev!.reportKey : reportKeyOf(by.id, hb, flagged);
      const changed = !prev || prev.reportKey !== reportKey;
      const entry = { tokenId: by.id, reportKey, channels: hb.channels, report, flagged };
      if (nodeCache.size > 200_000) nodeCache.clear();
      if (changed) {
        nodeCache.delete(nodeId);
        await write({ kind: 'record', id: nodeId, tokenId: by.id, tokenName: by.name, at, block, flagged, hb, prevChannels, reportKey });
        nodeCache.set(nodeId, entry);
      } else {
        // Liveness only: not awaited (at most one group commit late, far under one block).
        const repair = { id: nodeId, tokenId: by.id, tokenName: by.name, at, block, flagged, hb, reportKey, mayClaim: by.role === 'admin' };
        void write({ kind: 'touch', id: nodeId, at, block, hb, reportKey, repair }).catch((err: unknown) => console.error('heartbeat write failed', err));
        nodeCache.set(nodeId, same ? prev! : entry);
      }
      for (const c of hb.channels) subscribed.add(chKey(c.model, c.channel));
      if (block !== lastTick) {
        // No heartbeat waits for the block's tick (flush, quorum re-evaluation, pruning): awaiting
        // it made every heartbeat at a block boundary wait for a group commit and quorum counts
        // over the whole fleet, the heartbeat tail on PostgreSQL (up to 3.5 s for reports). A
        // quorum that a report completes is decided beside the answer (below) and reaches the
        // nodes by their long-polls or next heartbeats, activationDelay blocks before it applies.
        tickOnce().catch((err: unknown) => console.error('fleet tick failed', err));
      }
      if (changed) {
        // New installs may complete a quorum: decide now rather than at the next tick.
        // Not awaited: the switch block it may set lies activationDelay blocks ahead, so the node
        // learns of it in time (from its long-poll at once, or from a later heartbeat).
        for (const c of hb.channels) evaluateSoon(c.model, c.channel).catch((err: unknown) => console.error('quorum evaluation failed', err));
      }
      return { nodeId, ...(await answers.share(report, block, () => buildAnswer(block, hb, flagged))) };
    },

    /**
     * Long-poll: answers at once when the tables the node should know differ from `since` (an etag
     * from a heartbeat or an earlier poll), else holds until one of the node's channels changes,
     * `wait` passes (→ unchanged), the client goes away, or the server closes (→ unchanged).
     */
    async waitDesired(nodeId: string, o: { since?: string; wait?: string; signal?: AbortSignal }, by: Principal) {
      const waitMs = parseWait(o.wait, options.maxLongPollMs);
      limiter.take(`poll\u0000${nodeId}`);
      let node = nodeCache.get(nodeId);
      if (!node) {
        const row = await nodes.get(nodeId);
        if (row) node = { tokenId: row.tokenId, reportKey: row.reportKey, channels: await nodes.channelsOf(nodeId) };
      }
      if (!node) throw new NotFoundError(`node ${nodeId} is not registered: send a heartbeat first (it registers the node and the channels it serves)`, { nodeId }, 'node_not_found');
      if (node.tokenId !== by.id && by.role !== 'admin') {
        throw new ForbiddenError(`node ${nodeId} belongs to another token; each node polls with its own token`, { nodeId });
      }
      const { channels } = node;
      const keys = channels.map((c) => chKey(c.model, c.channel));
      const deadline = Date.now() + waitMs;
      for (;;) {
        const seen = keys.map(watch.seq);
        const block = await deps.chain.currentBlock();
        const d = await desiredOf(channels, block);
        if (d.etag !== o.since) {
          const clock = await deps.chain.clock();
          const answer = { nodeId, etag: d.etag, currentBlock: block, genesisMs: clock.genesisMs, intervalMs: clock.intervalMs, activationDelay: options.activationDelay, rollbackDelay: options.rollbackDelay, channels: d.channels };
          return { changed: true as const, answer };
        }
        const left = deadline - Date.now();
        if (left <= 0 || stopped) return { changed: false as const, etag: d.etag };
        ensurePoller();
        if ((await watch.wait(nodeId, keys, seen, left, o.signal)) !== 'changed') return { changed: false as const, etag: d.etag };
      }
    },
    /** Long-polls held now (tests, metrics). */
    heldPolls: () => watch.size(),

    async listNodes(opts: { model?: string; limit?: number }): Promise<FleetNode[]> {
      await flush();
      const block = await deps.chain.currentBlock();
      const ttl = toBlocks(options.livenessTtlMs, await intervalMs());
      const rows = await nodes.list({ ...(opts.model ? { model: opts.model } : {}), limit: opts.limit ?? 1000 });
      return rows.map(({ tokenId: _t, reportKey: _k, ...n }) => ({ ...n, live: block - n.lastBlock <= ttl }));
    },

    async listTransitions(model: string, channel?: string) {
      await tickOnce();
      // Evaluations started by heartbeats already answered: what those heartbeats reported counts.
      await Promise.all([...evals].filter(([k]) => k.startsWith(`${model}\u0000`)).map(([, e]) => e.loop.catch(() => undefined)));
      const exists = await deps.db.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst();
      if (!exists) throw new NotFoundError(`model "${model}" not found`, { model }, 'model_not_found');
      return { currentBlock: await deps.chain.currentBlock(), items: await transitions.forModel(model, channel) };
    },

    async start(log: (msg: string, err: unknown) => void = console.error) {
      const ms = await intervalMs();
      timer ??= setInterval(() => void tickOnce().catch((err: unknown) => log('fleet tick failed', err)), Math.max(ms, 250));
      timer.unref?.();
    },
    /** Writes batched heartbeats now (tests, shutdown). */
    flush,
    async stop() {
      stopped = true;
      watch.close();
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = undefined;
      if (timer) clearInterval(timer);
      timer = undefined;
      await ticking?.catch(() => undefined);
      // Evaluations started by heartbeats end after their current pass (they check `stopped`).
      await Promise.all([...evals.values()].map((e) => e.loop.catch(() => undefined)));
      await flush().catch(() => undefined);
    },
  };
}

export type FleetService = ReturnType<typeof createFleetService>;
