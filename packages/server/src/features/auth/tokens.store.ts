import type { Role } from '../../lib/context.ts';
import type { AuditEntry } from '../audit/audit.ts';

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface TokenStore {
  insert(t: { id: string; name: string; role: Role; hash: string; createdBy: string }, at: string, audit: AuditEntry): Promise<void>;
  findByHash(hash: string): Promise<TokenInfo | undefined>;
  list(): Promise<TokenInfo[]>;
  /** False when no such (unrevoked) token. */
  revoke(id: string, at: string, audit: AuditEntry): Promise<boolean>;
  touch(id: string, at: string): Promise<void>;
  countActiveAdmins(): Promise<number>;
}
