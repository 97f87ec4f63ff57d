import { tableFor } from './resolve.ts';
import type { DownloadConditions, RoutingTable } from './types.ts';

/** What the client knows about the device right now. Unknown fields count as "not satisfied". */
export interface DeviceState {
  /** `none` = offline. */
  network?: 'unmetered' | 'metered' | 'none';
  charging?: boolean;
  idle?: boolean;
}

export type DownloadBlock = 'offline' | 'metered' | 'not-charging' | 'not-idle' | 'too-large' | 'size-unknown';

export interface DownloadVerdict {
  allowed: boolean;
  /** Every condition that blocks, in a fixed order (for telemetry and UI). */
  blockedBy: DownloadBlock[];
}

/**
 * May the client start a background download now? All conditions must hold. A `critical`
 * download (security fix, forced rollback) ignores the conditions — but not being offline,
 * which is physics rather than policy. `bytes` is the download size; when `maxBytes` is set and
 * the size is unknown the download is blocked (`size-unknown`) rather than guessed.
 */
export function mayDownload(
  conditions: DownloadConditions | undefined,
  device: DeviceState,
  opts: { critical?: boolean; bytes?: number } = {},
): DownloadVerdict {
  const blockedBy: DownloadBlock[] = [];
  if (device.network === 'none') blockedBy.push('offline');
  if (conditions !== undefined && opts.critical !== true) {
    if (conditions.unmeteredOnly === true && device.network !== 'unmetered' && device.network !== 'none') {
      blockedBy.push('metered');
    }
    if (conditions.chargingOnly === true && device.charging !== true) blockedBy.push('not-charging');
    if (conditions.idleOnly === true && device.idle !== true) blockedBy.push('not-idle');
    if (conditions.maxBytes !== undefined) {
      if (opts.bytes === undefined) blockedBy.push('size-unknown');
      else if (opts.bytes > conditions.maxBytes) blockedBy.push('too-large');
    }
  }
  return { allowed: blockedBy.length === 0, blockedBy };
}

/**
 * Download conditions a table delivers to a platform: the platform's table (its override, else
 * the top level), then its entry for the platform, else `'*'`, else none.
 */
export function downloadConditionsFor(table: RoutingTable, platform: string | undefined): DownloadConditions | undefined {
  const d = tableFor(table, platform).download;
  if (d === undefined) return undefined;
  return (platform !== undefined && Object.hasOwn(d, platform) ? d[platform] : undefined) ?? (Object.hasOwn(d, '*') ? d['*'] : undefined);
}
