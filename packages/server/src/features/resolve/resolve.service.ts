import { bucketOf, downloadConditionsFor, NotFoundError, resolve, type DownloadConditions, type RoutingTable, type Scalar, type UnitContext } from '@steward/core';
import type { Resolution, ResolvedFile } from '@steward/core/api';
import type { ChannelService } from '../channels/channels.service.ts';
import type { ModelStore } from '../models/models.store.ts';
import type { RolloutService } from '../rollouts/rollouts.service.ts';
import type { VersionStore } from '../versions/versions.store.sql.ts';
import { filesOfVariant, type FileEntry } from './variants.ts';

export type { Resolution, ResolvedFile };

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

/**
 * Resolve for thin clients: the channel's routing table plus the unit's context give a version,
 * a variant and its files. Committed versions never change their files, so file lists are cached
 * (bounded); the channel table and the rollout are cached for 250 ms (see channelState).
 */
export function createResolveService(deps: { modelStore: ModelStore; versionStore: VersionStore; channels: ChannelService; rollouts: RolloutService }) {
  const { modelStore, versionStore, channels, rollouts } = deps;
  const fileCache = new Map<string, FileEntry[]>();
  // Channel table + rollout per channel, for a short time: resolve is the hottest read path and
  // both change rarely. A change through this server drops the entry at once (onChange); a change
  // made through another server sharing the database is seen within STATE_TTL_MS.
  const STATE_TTL_MS = 250;
  const stateCache = new Map<string, { ch: Awaited<ReturnType<ChannelService['get']>>; latest: Awaited<ReturnType<RolloutService['forResolve']>>; until: number }>();
  channels.onChange((c) => void stateCache.delete(`${c.model}\u0000${c.channel}`));
  async function channelState(model: string, channel: string) {
    const key = `${model}\u0000${channel}`;
    const hit = stateCache.get(key);
    if (hit && hit.until > Date.now()) return hit;
    const [ch, latest] = await Promise.all([channels.get(model, channel), rollouts.forResolve(model, channel)]);
    const entry = { ch, latest, until: Date.now() + STATE_TTL_MS };
    if (stateCache.size >= 10_000) stateCache.clear();
    stateCache.set(key, entry);
    return entry;
  }

  async function filesOf(model: string, version: string, variant: string): Promise<ResolvedFile[]> {
    const key = `${model}\u0000${version}`;
    let files = fileCache.get(key);
    if (!files) {
      const m = await modelStore.findRow(model);
      const row = m && (await versionStore.findCommitted(m.id, version));
      if (!row) throw new NotFoundError(`version ${model}@${version} not found`, { version }, 'version_not_found');
      files = (await versionStore.files([row.id])).get(row.id) ?? [];
      if (fileCache.size >= 1000) fileCache.clear();
      fileCache.set(key, files);
    }
    const base = `/api/v1/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}/files/`;
    return filesOfVariant(files, variant).map((f) => ({ ...f, url: base + encodePath(f.path) }));
  }

  return {
    async resolve(model: string, channel: string, unit: string | undefined, context: UnitContext): Promise<Resolution> {
      const { ch, latest } = await channelState(model, channel);
      const table = ch.table as unknown as RoutingTable;
      const d = resolve(table, unit, context);
      const active = latest && latest.state !== 'succeeded' ? latest : undefined;
      // A promoted rollout's `critical` holds while its version is still the stable one.
      const critical = active ? active.critical : latest !== undefined && latest.critical && latest.version === table.stable;
      const out: Resolution = {
        model,
        channel,
        seq: ch.seq,
        version: d.version,
        variant: d.variant,
        arm: d.arm,
        files: await filesOf(model, d.version, d.variant),
        download: downloadConditionsFor(table, context.platform) ?? null,
        critical,
        rolloutId: active?.id ?? null,
      };
      const share = active?.spec.shadowBps;
      if (active && active.strategy === 'shadow' && share !== undefined && unit && bucketOf(`${active.id}:shadow`, unit) < share) {
        const variant = active.spec.variant ?? 'default';
        out.shadow = { version: active.version, variant, files: await filesOf(model, active.version, variant) };
      }
      return out;
    },
  };
}

/** `attr.tier=gold&attr.beta=true` → `{ tier: 'gold', beta: 'true' }` (compared as strings by constraints). */
export function attributesFromQuery(query: Record<string, string>): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(query)) if (k.startsWith('attr.') && k.length > 5) out[k.slice(5)] = v;
  return out;
}

export type ResolveService = ReturnType<typeof createResolveService>;
