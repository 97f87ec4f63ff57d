import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { StewardError } from '@steward/core';
import type { Db } from '../../db/connect.ts';
import type { ObjectStore } from '../../storage/object-store.ts';

/** Free bytes uploads leave on each disk the server writes to, unless configured (STEWARD_MIN_FREE_MIB). */
export const DEFAULT_MIN_FREE_MIB = 512;

export interface DiskPlace {
  /** 'objects' (a file store's root) or 'database' (an SQLite database's directory). */
  place: string;
  dir: string;
}

export interface PlaceSpace extends DiskPlace {
  /** Bytes free for the server's user; null when the file system cannot be read. */
  freeBytes: number | null;
}

/** The local directories the server writes into: a file store's root and an SQLite database's directory (none on S3 and PostgreSQL). */
export function localWritePlaces(objects: ObjectStore, db: Pick<Db, 'file'>): DiskPlace[] {
  const places: DiskPlace[] = [];
  const root = (objects as { rootDir?: unknown }).rootDir;
  if (objects.kind === 'file' && typeof root === 'string') places.push({ place: 'objects', dir: root });
  if (db.file !== undefined && db.file !== ':memory:') places.push({ place: 'database', dir: dirname(db.file) });
  return places;
}

/** statfs of `dir`, or of its nearest existing parent (a store's root is made at its first put); null if none can be read. */
export function statfsOfNearest(dir: string): ReturnType<typeof statfsSync> | null {
  for (let d = dir; ; d = dirname(d)) {
    try {
      return statfsSync(d);
    } catch {
      if (dirname(d) === d) return null;
    }
  }
}

const freeOf = (dir: string): number | null => {
  const s = statfsOfNearest(dir);
  return s ? Number(s.bavail) * Number(s.bsize) : null;
};

const mib = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 30 ? 1 : 0)} MiB`;

/**
 * The free space uploads must leave on every local disk the server writes to. An upload that
 * would cut into it is refused before a byte is read, with 507 storage_full and the figures, so a
 * disk fills up to the reserve and no further: the database keeps room for its journal, `steward gc`
 * room to repack (it writes the new pack before deleting the old ones), and pushes whose chunks
 * are all stored already (a re-push, a metadata-only change) still go through, since they upload
 * nothing. 0 turns the reserve off; ENOSPC is still answered the same way (http/errors.ts).
 */
export class DiskReserve {
  constructor(
    private readonly places: readonly DiskPlace[],
    readonly minFreeBytes: number,
    private readonly free: (dir: string) => number | null = freeOf,
  ) {}

  /** Free bytes at each place, now. */
  space(): PlaceSpace[] {
    return this.places.map((p) => ({ ...p, freeBytes: this.free(p.dir) }));
  }

  /** Throws 507 storage_full when storing `incoming` more bytes would leave less than the reserve free somewhere. */
  check(incoming = 0): void {
    if (this.minFreeBytes <= 0) return;
    for (const p of this.space()) {
      if (p.freeBytes === null || p.freeBytes - incoming >= this.minFreeBytes) continue;
      throw new StewardError(
        'storage_full',
        `the server keeps ${mib(this.minFreeBytes)} free on the disk of its ${p.place === 'database' ? 'database' : 'file store'} and ${mib(p.freeBytes)} are left, too little for ${mib(incoming)} more: nothing was stored; free disk space or run steward gc, then retry (the reserve is STEWARD_MIN_FREE_MIB)`,
        507,
        { place: p.place, freeBytes: p.freeBytes, minFreeBytes: this.minFreeBytes, incomingBytes: incoming },
      );
    }
  }
}
