import type { InstalledVersion } from './fleet.types.ts';
import type { NodeStore, NodeWrite } from './nodes.store.sql.ts';

/**
 * What a server last wrote or read for each node (see fleet.service.ts). `report` (the heartbeat's
 * channels and installs as sent) and the `flagged` installs it implied are known once this server
 * validated a heartbeat of the node: the next one with the same text skips validation and hashing.
 */
export type NodeCache = Map<string, { tokenId: string; reportKey: string; channels: { model: string; channel: string }[]; report?: string; flagged?: InstalledVersion[] }>;

const TOUCH_BATCH_MS = 100;
const RECORD_BATCH_MS = 5;

/**
 * Group commit for heartbeat writes. Records (new installs or subscriptions; the heartbeat awaits
 * them) and liveness-only touches (not awaited) are queued and written together, one transaction
 * per batch; a touch that missed because another server changed the node's row is repaired.
 */
export function createNodeWriter(deps: { nodes: NodeStore; nodeCache: NodeCache }) {
  const { nodes, nodeCache } = deps;
  /**
   * Group commit for heartbeat writes: writes that arrive while a transaction runs go together in
   * the next one. Changes (installs, subscriptions) are awaited before answering; liveness-only
   * touches are not (at most one transaction late, far under one block).
   */
  let queue: { op: NodeWrite; done: (err?: unknown) => void }[] = [];
  let writing: Promise<void> | undefined;
  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      // Only the newest write per node matters; a record outranks a touch.
      const byNode = new Map<string, NodeWrite>();
      for (const { op } of batch) {
        const prev = byNode.get(op.id);
        byNode.set(op.id, prev?.kind === 'record' && op.kind === 'touch' ? { ...prev, at: op.at, block: op.block, hb: { ...prev.hb, health: op.hb.health, appVersion: op.hb.appVersion, profile: op.hb.profile, ...(op.hb.telemetry ? { telemetry: op.hb.telemetry } : {}) } } : op);
      }
      let error: unknown;
      const res = await nodes.writeBatch([...byNode.values()]).catch((err: unknown) => void (error = err));
      for (const w of batch) w.done(error);
      const missed = (res?.missed ?? []).map((id) => byNode.get(id)).filter((op): op is Extract<NodeWrite, { kind: 'touch' }> => op?.kind === 'touch');
      await Promise.all(missed.map((op) => repair(op).catch((err: unknown) => console.error('heartbeat repair failed', err))));
    }
  };
  /**
   * A touch missed: another server recorded a different report for the node since this one cached
   * it (or the node was pruned). Re-read the row and record this heartbeat's full report in the next
   * batch, unless a newer write for the node is already queued or the node now belongs to another
   * token (its next heartbeat re-reads the row and gets the 403).
   */
  async function repair(op: Extract<NodeWrite, { kind: 'touch' }>): Promise<void> {
    nodeCache.delete(op.id);
    const row = await nodes.get(op.id);
    if (row && row.tokenId !== op.repair.tokenId && !op.repair.mayClaim) return;
    const prevChannels = row ? await nodes.channelsOf(op.id) : [];
    if (queue.some((q) => q.op.id === op.id)) return;
    const { mayClaim: _m, ...rec } = op.repair;
    queue.push({ op: { kind: 'record', ...rec, prevChannels }, done: () => undefined });
    nodeCache.set(op.id, { tokenId: rec.tokenId, reportKey: rec.reportKey, channels: rec.hb.channels });
  }
  /**
   * A write waits a moment for company before its transaction starts: a record (the caller awaits
   * it) up to RECORD_BATCH_MS, a liveness touch up to TOUCH_BATCH_MS. better-sqlite3 runs a
   * transaction synchronously, so without the wait each transaction holds one heartbeat and every
   * heartbeat pays a commit (an fsync on SQLite, round trips on PostgreSQL).
   */
  let batchTimer: ReturnType<typeof setTimeout> | undefined;
  let batchDue = Infinity;
  const kick = () => {
    if (batchTimer) clearTimeout(batchTimer);
    batchTimer = undefined;
    batchDue = Infinity;
    writing ??= Promise.resolve()
      .then(drain)
      .finally(() => {
        writing = undefined;
        if (queue.length > 0) schedule(0); // arrived between the last batch and this line
      });
  };
  const schedule = (ms: number) => {
    if (writing) return; // the running drain takes everything queued before it finishes
    const due = Date.now() + ms;
    if (batchTimer && batchDue <= due) return;
    if (batchTimer) clearTimeout(batchTimer);
    batchDue = due;
    batchTimer = setTimeout(kick, ms);
    batchTimer.unref?.();
  };
  const write = (op: NodeWrite): Promise<void> => {
    const p = new Promise<void>((resolve, reject) => queue.push({ op, done: (err) => (err ? reject(err) : resolve()) }));
    schedule(op.kind === 'record' ? RECORD_BATCH_MS : TOUCH_BATCH_MS);
    return p;
  };
  const flush = async (): Promise<void> => {
    if (queue.length > 0) kick();
    while (writing) await writing;
  };

  return { write, flush };
}
