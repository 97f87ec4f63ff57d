import type { Role } from '@steward/core/api';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ObjectStore } from '../storage/object-store.ts';

/** Who is calling. `name` is what history and audit show as the author. */
export interface Principal {
  id: string;
  name: string;
  role: Role;
}

export type { Role };

/** The shared dependencies a feature may take; each service picks only what it uses. */
export interface Deps {
  db: Kysely<Database>;
  objects: ObjectStore;
  now: () => Date;
}

export const iso = (d: Date) => d.toISOString();
