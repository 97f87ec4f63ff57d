import { z } from '@hono/zod-openapi';

/** The fleet's API shapes live in `@steward/core/api` (fleet.schema.ts); the path parameter is the server's. */
export { DesiredAnswerSchema, DesiredQuerySchema, FleetNodeSchema, HeartbeatAnswerSchema, HeartbeatSchema, TransitionSchema } from '@steward/core/api';

export const NodeIdParam = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'node ids use letters, digits and . _ : - (at most 128)')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'gpu-a' }),
});

