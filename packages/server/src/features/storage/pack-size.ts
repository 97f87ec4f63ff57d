import { InvalidInputError } from '@steward/core';
import { DEFAULT_PACK_SIZE } from './pack-writer.ts';

/**
 * Target pack size in bytes: explicit option, else STEWARD_PACK_SIZE (bytes; tests use a few
 * hundred KiB so packs roll over), else 64 MiB. Read once when the app is built.
 */
export function resolvePackSize(explicit?: number, env: Record<string, string | undefined> = process.env): number {
  const raw = explicit ?? (env.STEWARD_PACK_SIZE ? Number(env.STEWARD_PACK_SIZE) : DEFAULT_PACK_SIZE);
  if (!Number.isSafeInteger(raw) || raw < 1024 || raw > 1024 * 1024 * 1024) {
    throw new InvalidInputError(`pack size must be an integer between 1 KiB and 1 GiB, got ${raw}`, { packSize: raw }, 'invalid_config');
  }
  return raw;
}
