import { z } from 'zod';

export const ROLES = ['viewer', 'publisher', 'approver', 'admin', 'node'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const TokenInfoSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    createdAt: z.string(),
    createdBy: z.string(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'Token' });
export type TokenInfo = z.infer<typeof TokenInfoSchema>;

export const TokenCreateSchema = z.strictObject({ name: z.string().min(1).max(128), role: RoleSchema });
export type TokenCreate = z.input<typeof TokenCreateSchema>;

/** Only the creation answer carries the secret; it is never shown again. */
export const CreatedTokenSchema = TokenInfoSchema.extend({ token: z.string() }).meta({ id: 'CreatedToken' });
export type CreatedToken = z.infer<typeof CreatedTokenSchema>;

export const WhoAmISchema = z.object({ id: z.string(), name: z.string(), role: RoleSchema }).meta({ id: 'WhoAmI' });
export type WhoAmI = z.infer<typeof WhoAmISchema>;

export const SigningKeySchema = z
  .object({
    keyId: z.string(),
    /** Ed25519 public key, SPKI PEM. */
    publicKey: z.string(),
    algorithm: z.literal('ed25519'),
  })
  .meta({ id: 'SigningKey' });
export type SigningKey = z.infer<typeof SigningKeySchema>;
