import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskReserve, statfsOfNearest } from './disk-reserve.ts';

const MiB = 2 ** 20;
const places = [
  { place: 'objects', dir: '/data/objects' },
  { place: 'database', dir: '/db' },
];

describe('DiskReserve', () => {
  it('lets an upload through while every place keeps the reserve after it', () => {
    const r = new DiskReserve(places, 512 * MiB, (d) => (d === '/db' ? 900 * MiB : 2048 * MiB));
    expect(() => r.check(388 * MiB)).not.toThrow(); // the database's disk: exactly 512 MiB left
    expect(() => r.check(0)).not.toThrow();
  });

  it('refuses with 507 storage_full naming the place and the figures once one place would dip under it', () => {
    const r = new DiskReserve(places, 512 * MiB, (d) => (d === '/db' ? 900 * MiB : 2048 * MiB));
    let err: any;
    try {
      r.check(389 * MiB);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'storage_full', status: 507, details: { place: 'database', freeBytes: 900 * MiB, minFreeBytes: 512 * MiB, incomingBytes: 389 * MiB } });
    expect(err.message).toMatch(/keeps 512\.0 MiB free on the disk of its database and 900\.0 MiB are left.*nothing was stored.*steward gc.*STEWARD_MIN_FREE_MIB/);
  });

  it('is off at 0, and skips a place whose file system cannot be read', () => {
    expect(() => new DiskReserve(places, 0, () => 0).check(10 * MiB)).not.toThrow();
    const r = new DiskReserve(places, 512 * MiB, (d) => (d === '/db' ? null : 4096 * MiB));
    expect(() => r.check(MiB)).not.toThrow();
    expect(r.space()).toEqual([
      { place: 'objects', dir: '/data/objects', freeBytes: 4096 * MiB },
      { place: 'database', dir: '/db', freeBytes: null },
    ]);
  });

  it('measures a directory not made yet at its nearest existing parent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steward-reserve-'));
    try {
      const s = statfsOfNearest(join(dir, 'not', 'made', 'yet'))!;
      expect(s.bsize).toBe(statfsSync(dir).bsize);
      expect(s.blocks).toBe(statfsSync(dir).blocks);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
