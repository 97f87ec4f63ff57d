import type { z } from '@hono/zod-openapi';
import { validationError } from '@steward/core';

export { validationError };

/** Hook for OpenAPIHono: turn a failed parse into our error type instead of zod's default body. */
export const defaultHook = (result: { success: boolean; error?: z.ZodError; target?: string }) => {
  if (!result.success && result.error) throw validationError(result.error, result.target ?? 'request');
};
