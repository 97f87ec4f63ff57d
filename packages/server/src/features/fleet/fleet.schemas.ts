import { z } from '@hono/zod-openapi';
import { RoutingTableSchema, Sha256Schema } from '../../http/schemas.ts';

const Name = z.string().min(1).max(256);
const Small = z.string().max(128);

export const NodeIdParam = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'node ids use letters, digits and . _ : - (at most 128)')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'gpu-a' }),
});

const Installed = z.strictObject({ model: Name, version: Small, digest: Sha256Schema.openapi({ description: 'SHA-256 of the version\'s canonical signed manifest' }) });
const Profile = z
  .strictObject({
    platform: Small.optional(),
    os: Small.optional(),
    arch: Small.optional(),
    memoryMb: z.number().int().nonnegative().optional(),
    storageMb: z.number().int().nonnegative().optional(),
    metered: z.boolean().optional(),
    charging: z.boolean().optional(),
  })
  .openapi('NodeProfile');
const Telemetry = z.strictObject({
  model: Name,
  version: Small,
  requests: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  latencyMsP50: z.number().nonnegative().optional(),
  latencyMsP99: z.number().nonnegative().optional(),
});

export const HeartbeatSchema = z
  .strictObject({
    channels: z.array(z.strictObject({ model: Name, channel: Small })).max(64).default([]),
    installed: z.array(Installed).max(256).default([]),
    profile: Profile.default({}),
    appVersion: Small.default(''),
    health: z.enum(['ok', 'degraded', 'failing']).default('ok'),
    telemetry: z.array(Telemetry).max(256).optional(),
    clockMs: z.number().int().optional().openapi({ description: 'the node\'s wall clock, ms since epoch; refused when far from the server\'s' }),
  })
  .openapi('Heartbeat');

const History = z.array(z.object({ table: RoutingTableSchema, usableFromBlock: z.number().int() }));
export const HeartbeatAnswerSchema = z
  .object({
    nodeId: z.string(),
    currentBlock: z.number().int(),
    genesisMs: z.number().int(),
    intervalMs: z.number().int(),
    heartbeatIntervalMs: z.number().int(),
    activationDelay: z.number().int().openapi({ description: 'blocks between a quorum decision and its switch: how long a node may trust this answer' }),
    rollbackDelay: z.number().int().openapi({ description: 'blocks between an authorized rollback and its switch' }),
    lagging: z.boolean(),
    flagged: z.array(z.object({ model: z.string(), version: z.string(), digest: z.string() })),
    channels: z.array(
      z.object({
        model: z.string(),
        channel: z.string(),
        history: History,
        inForce: RoutingTableSchema.nullable(),
        pending: z.object({ id: z.string(), table: RoutingTableSchema, proposedAtBlock: z.number().int() }).nullable(),
        lagging: z.boolean(),
        missing: z.array(z.string()),
      }),
    ),
    etag: z.string().openapi({ description: 'names the tables this answer lists; pass it as `since` to GET /nodes/{id}/desired to wait for the next change' }),
  })
  .openapi('HeartbeatAnswer');

export const DesiredQuerySchema = z.object({
  wait: z
    .string()
    .max(16)
    .optional()
    .openapi({ description: 'how long to hold the request when nothing changed: "30s", "500ms" or seconds; 0 or absent answers at once; at most 60 s', example: '30s' }),
  since: z.string().max(64).optional().openapi({ description: 'the etag the node last saw (from a heartbeat or an earlier poll); If-None-Match works too' }),
});

export const DesiredAnswerSchema = z
  .object({
    nodeId: z.string(),
    etag: z.string(),
    currentBlock: z.number().int(),
    genesisMs: z.number().int(),
    intervalMs: z.number().int(),
    activationDelay: z.number().int(),
    rollbackDelay: z.number().int(),
    channels: z.array(
      z.object({
        model: z.string(),
        channel: z.string(),
        history: History,
        inForce: RoutingTableSchema.nullable(),
        pending: z.object({ id: z.string(), table: RoutingTableSchema, proposedAtBlock: z.number().int() }).nullable(),
      }),
    ),
  })
  .openapi('DesiredTables');

export const FleetNodeSchema = z
  .object({
    id: z.string(),
    tokenName: z.string(),
    profile: Profile,
    appVersion: z.string(),
    health: z.string(),
    installed: z.array(Installed),
    channels: z.array(z.object({ model: z.string(), channel: z.string() })),
    telemetry: z.array(Telemetry),
    flagged: z.array(Installed),
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    lastBlock: z.number().int(),
    live: z.boolean(),
  })
  .openapi('FleetNode');

export const TransitionSchema = z
  .object({
    id: z.string(),
    model: z.string(),
    channel: z.string(),
    kind: z.string(),
    table: RoutingTableSchema,
    previousTable: RoutingTableSchema.nullable(),
    proposedAtBlock: z.number().int(),
    usableFromBlock: z.number().int().nullable(),
    state: z.enum(['pending', 'scheduled', 'superseded', 'refused']),
    basis: z.string().nullable(),
    reason: z.string(),
    author: z.string(),
    createdAt: z.string(),
    decidedAt: z.string().nullable(),
  })
  .openapi('FleetTransition');
