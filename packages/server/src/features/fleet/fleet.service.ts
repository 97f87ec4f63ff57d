import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, compareStable } from '@steward/core';
import type { Database } from '../../db/schema.ts';
import type { Principal } from '../../lib/context.ts';
import type { ChainService } from '../chain/chain.service.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { RoutingTable } from '../channels/channels.types.ts';
import { type ChannelDesired, desiredFor } from './desired-tables.ts';
import { createDesiredWatch, parseWait } from './desired-watch.ts';
import { createFleetController } from './fleet-controller.ts';
import { DEFAULT_FLEET_OPTIONS, type FleetOptions, toBlocks } from './fleet.options.ts';
import type { FleetNode, HeartbeatInput, InstalledVersion } from './fleet.types.ts';
import { createDigestLookup } from './manifest-digest.ts';
import { createNodeStoreSql } from './nodes.store.sql.ts';
import { type NodeCache, createNodeWriter } from './node-writer.ts';
import { createRateLimiter } from './rate-limit.ts';
import { versionsOf } from './table-versions.ts';
import { createTransitionStoreSql } from './transitions.store.sql.ts';

export interface FleetDeps {
  db: Kysely<Database>;
  chain: ChainService;
  channels: ChannelService;
  now: () => Date;
  options?: Partial<FleetOptions>;
}

const chKey = (model: string, channel: string) => `${model}\u0000${channel}`;

interface DesiredEntry {
  value: ChannelDesired;
  tag: string;
}

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
  /** Per-channel answer cache, valid for one block; dropped on any change this process makes. */
  const desiredCache = new Map<string, { block: number; value: Promise<DesiredEntry> }>();
  const watch = createDesiredWatch({ max: options.maxLongPolls });
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
      desiredCache.delete(chKey(m, c));
      watch.notify(chKey(m, c));
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

  /**
   * A channel's answer and its tag. The tag names the channel's transitions (ids, states, switch
   * blocks; the channel's table when it has none), not the block: it changes exactly when a node
   * has something new to learn, which is what long-polls wait for.
   */
  async function loadDesired(model: string, channel: string, block: number): Promise<DesiredEntry> {
    const rows = await transitions.forChannel(model, channel, ['pending', 'scheduled']);
    let fallback: RoutingTable | null = null;
    if (rows.length === 0) fallback = await deps.channels.get(model, channel).then((ch) => ch.table, () => null);
    const tag = rows.length > 0 ? rows.map((r) => `${r.id}:${r.state}:${r.usableFromBlock ?? ''}`).join(',') : JSON.stringify(fallback);
    return { value: desiredFor(model, channel, rows, block, fallback), tag };
  }
  /** Single-flight: the heartbeats that miss the cache at a block boundary share one read. */
  function desired(model: string, channel: string, block: number): Promise<DesiredEntry> {
    const k = chKey(model, channel);
    const hit = desiredCache.get(k);
    if (hit && hit.block === block) return hit.value;
    const entry = { block, value: loadDesired(model, channel, block) };
    desiredCache.set(k, entry);
    // A failed read is not cached; a change (changed → delete) while reading drops the entry too.
    entry.value.catch(() => desiredCache.get(k) === entry && desiredCache.delete(k));
    return entry.value;
  }
  /** What a node subscribed to `channels` should know, and its etag (what a long-poll compares). */
  async function desiredOf(channels: readonly { model: string; channel: string }[], block: number) {
    const entries = await Promise.all(channels.map((c) => desired(c.model, c.channel, block)));
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

  async function validate(hb: HeartbeatInput): Promise<InstalledVersion[]> {
    if (hb.clockMs !== undefined && Math.abs(hb.clockMs - deps.now().getTime()) > options.maxClockSkewMs) {
      throw new InvalidInputError(
        `the node's clock (${new Date(hb.clockMs).toISOString()}) is more than ${options.maxClockSkewMs / 1000} s from the server's (${deps.now().toISOString()}); fix the node's time sync`,
        { clockMs: hb.clockMs, serverMs: deps.now().getTime() },
        'clock_skew',
      );
    }
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
    subscribed.clear();
    for (const c of await nodes.subscribedChannels()) subscribed.add(chKey(c.model, c.channel));
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
      const fresh = await loadDesired(model, channel, block);
      const hit = desiredCache.get(k);
      const old = hit ? await hit.value.catch(() => undefined) : undefined;
      if (old?.tag === fresh.tag) continue;
      desiredCache.set(k, { block, value: Promise.resolve(fresh) });
      watch.notify(k);
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
      const flagged = await validate(hb);
      let prev = nodeCache.get(nodeId);
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
      const reportKey = reportKeyOf(by.id, hb, flagged);
      const changed = !prev || prev.reportKey !== reportKey;
      if (nodeCache.size > 200_000) nodeCache.clear();
      if (changed) {
        nodeCache.delete(nodeId);
        await write({ kind: 'record', id: nodeId, tokenId: by.id, tokenName: by.name, at, block, flagged, hb, prevChannels, reportKey });
        nodeCache.set(nodeId, { tokenId: by.id, reportKey, channels: hb.channels });
      } else {
        // Liveness only: not awaited (at most one group commit late, far under one block).
        const repair = { id: nodeId, tokenId: by.id, tokenName: by.name, at, block, flagged, hb, reportKey, mayClaim: by.role === 'admin' };
        void write({ kind: 'touch', id: nodeId, at, block, hb, reportKey, repair }).catch((err: unknown) => console.error('heartbeat write failed', err));
        nodeCache.set(nodeId, prev!);
      }
      for (const c of hb.channels) subscribed.add(chKey(c.model, c.channel));
      if (block !== lastTick) await tickOnce();
      if (changed) {
        // New installs may complete a quorum: decide now rather than at the next tick.
        // Not awaited: the switch block it may set lies activationDelay blocks ahead, so the node
        // learns of it in time (from its long-poll at once, or from a later heartbeat).
        for (const c of hb.channels) evaluateSoon(c.model, c.channel).catch((err: unknown) => console.error('quorum evaluation failed', err));
      }
      const good = new Set(hb.installed.filter((i) => !flagged.includes(i)).map((i) => `${i.model}@${i.version}`));
      const channels = [];
      const want = await desiredOf(hb.channels, block);
      for (const d of want.channels) {
        const need = (t: RoutingTable | null | undefined) => (t ? versionsOf(t).filter((v) => !good.has(`${d.model}@${v}`)) : []);
        const lagging = need(d.inForce).length > 0;
        const missing = [...new Set([...d.history.flatMap((h) => (h.usableFromBlock >= block || h.table === d.inForce ? need(h.table) : [])), ...need(d.pending?.table)])];
        channels.push({ ...d, lagging, missing });
      }
      const clock = await deps.chain.clock();
      return {
        nodeId,
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
      await flush().catch(() => undefined);
    },
  };
}

export type FleetService = ReturnType<typeof createFleetService>;
