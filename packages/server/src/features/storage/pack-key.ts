import { randomBytes } from 'node:crypto';

/**
 * Pack ids start with their creation time (ms since epoch, 13 digits) so GC can age an orphan pack
 * object (written, but the server died before its index rows committed) without an object mtime.
 */
export function newPackId(now: Date): string {
  return `${String(now.getTime()).padStart(13, '0')}-${randomBytes(8).toString('hex')}`;
}

export const packKey = (id: string) => `packs/${id.slice(0, 4)}/${id}.pack`;

/** Pack id from an object key, or null if the key is not a pack. */
export function packIdOfKey(key: string): string | null {
  const m = /^packs\/\d{4}\/(\d{13}-[0-9a-f]{16})\.pack$/.exec(key);
  return m ? m[1]! : null;
}

export const packTime = (id: string) => Number(id.slice(0, 13));
