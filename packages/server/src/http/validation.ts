import type { z } from '@hono/zod-openapi';
import { InvalidInputError } from '@steward/core';

/** zod issues → one actionable message plus the full list in details. */
export function validationError(error: z.ZodError, target: string): InvalidInputError {
  const issues = error.issues.map((i) => ({ path: [target, ...i.path.map(String)].join('.'), message: i.message, code: i.code }));
  const first = issues[0];
  const message = first ? `${first.path}: ${first.message}` : `invalid ${target}`;
  return new InvalidInputError(message, { issues }, 'validation_failed');
}

/** Hook for OpenAPIHono: turn a failed parse into our error type instead of zod's default body. */
export const defaultHook = (result: { success: boolean; error?: z.ZodError; target?: string }) => {
  if (!result.success && result.error) throw validationError(result.error, result.target ?? 'request');
};
