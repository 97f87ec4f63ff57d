import { z } from 'zod';

/**
 * The REST API's shapes (`/api/v1`, docs/api.md), defined once: the server validates requests
 * with them and builds /openapi.json from them (`meta({ id })` names the component), and the
 * client's types are inferred from them. Times are ISO-8601 UTC strings; digests lowercase hex
 * SHA-256; sizes bytes.
 */

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }) })
  .meta({ id: 'Error' });

/** Keys of tags, params and metrics. */
export const KeySchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.\-/:]+$/, 'keys use letters, digits and _ . - / :')
  .refine((k) => !['__proto__', 'constructor', 'prototype'].includes(k), 'reserved key name');

export const TagsSchema = z.record(KeySchema, z.string().max(256)).refine((t) => Object.keys(t).length <= 64, 'at most 64 tags');
/** Tags merge into the existing ones; a `null` value removes that key. */
export const TagsPatchSchema = z.record(KeySchema, z.string().max(256).nullable()).refine((t) => Object.keys(t).length <= 64, 'at most 64 tags');
export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters');

export type Tags = Record<string, string>;
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** One page of a cursor-paginated list. `nextCursor` is null on the last page. */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
