import { describe, expect, it } from 'vitest';
import { downloadConditionsFor, mayDownload } from './download.ts';
import type { RoutingTable } from './types.ts';

const strict = { unmeteredOnly: true, chargingOnly: true, idleOnly: true, maxBytes: 1000 };

describe('mayDownload', () => {
  it('allows when every condition holds', () => {
    expect(mayDownload(strict, { network: 'unmetered', charging: true, idle: true }, { bytes: 1000 })).toEqual({ allowed: true, blockedBy: [] });
  });

  it('lists every blocking condition; unknown device state counts as not satisfied', () => {
    expect(mayDownload(strict, { network: 'metered', charging: false }, { bytes: 1001 }).blockedBy).toEqual(['metered', 'not-charging', 'not-idle', 'too-large']);
    expect(mayDownload(strict, {}, {}).blockedBy).toEqual(['metered', 'not-charging', 'not-idle', 'size-unknown']);
  });

  it('no conditions: anything goes while online', () => {
    expect(mayDownload(undefined, { network: 'metered' }).allowed).toBe(true);
    expect(mayDownload({}, {}).allowed).toBe(true);
  });

  it('critical overrides the conditions but not being offline', () => {
    expect(mayDownload(strict, { network: 'metered' }, { critical: true, bytes: 10 ** 9 })).toEqual({ allowed: true, blockedBy: [] });
    expect(mayDownload(strict, { network: 'none' }, { critical: true })).toEqual({ allowed: false, blockedBy: ['offline'] });
  });
});

describe('downloadConditionsFor', () => {
  const t: RoutingTable = {
    stable: '1.0.0',
    download: { android: { unmeteredOnly: true }, '*': { maxBytes: 5 } },
    overrides: { ios: { stable: '1.0.0', download: { ios: { chargingOnly: true } } } },
  };
  it('picks the platform entry, then "*", through overrides', () => {
    expect(downloadConditionsFor(t, 'android')).toEqual({ unmeteredOnly: true });
    expect(downloadConditionsFor(t, 'web')).toEqual({ maxBytes: 5 });
    expect(downloadConditionsFor(t, undefined)).toEqual({ maxBytes: 5 });
    expect(downloadConditionsFor(t, 'ios')).toEqual({ chargingOnly: true });
    expect(downloadConditionsFor({ stable: '1.0.0' }, 'ios')).toBeUndefined();
  });
});
