import { ROLES as API_ROLES } from '@steward/core/api';
import type { Role } from '../../lib/context.ts';

export const ROLES: readonly Role[] = API_ROLES;

/**
 * What each role may do. `publisher` and `approver` both read; `admin` does everything; `node`
 * tokens only read what they install (versions, files, blobs, channels) and report, never write
 * to the registry.
 */
const GRANTS: Record<Role, readonly Need[]> = {
  viewer: ['read'],
  publisher: ['read', 'publish'],
  approver: ['read', 'approve'],
  admin: ['read', 'publish', 'approve', 'admin', 'node'],
  node: ['read', 'node'],
};

export type Need = 'read' | 'publish' | 'approve' | 'admin' | 'node';

export function allows(role: Role, need: Need): boolean {
  return GRANTS[role].includes(need);
}
