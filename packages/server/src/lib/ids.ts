import { randomBytes } from 'node:crypto';

/** Time-prefixed random ids: sortable by creation, unguessable, portable as text keys. */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomBytes(10).toString('hex')}`;
}
