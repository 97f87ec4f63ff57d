import { z } from 'zod';
import { RoutingTableSchema } from './channels.schema.ts';
import { Sha256Schema } from './common.schema.ts';

const Name = z.string().min(1).max(256);
const Small = z.string().max(128);

/** An installed version; `digest` = SHA-256 hex of the UTF-8 of `canonicalJson(version.manifest)`. */
export const InstalledVersionSchema = z.strictObject({ model: Name, version: Small, digest: Sha256Schema.meta({ description: 'SHA-256 of the version\'s canonical signed manifest' }) });
export const NodeProfileSchema = z
  .strictObject({
    platform: Small.optional(),
    os: Small.optional(),
    arch: Small.optional(),
    memoryMb: z.number().int().nonnegative().optional(),
    storageMb: z.number().int().nonnegative().optional(),
    metered: z.boolean().optional(),
    charging: z.boolean().optional(),
  })
  .meta({ id: 'NodeProfile' });
export const VersionTelemetrySchema = z.strictObject({
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
    installed: z.array(InstalledVersionSchema).max(256).default([]),
    profile: NodeProfileSchema.default({}),
    appVersion: Small.default(''),
    health: z.enum(['ok', 'degraded', 'failing']).default('ok'),
    telemetry: z.array(VersionTelemetrySchema).max(256).optional(),
    clockMs: z.number().int().optional().meta({ description: 'the node\'s wall clock, ms since epoch; refused when far from the server\'s' }),
  })
  .meta({ id: 'Heartbeat' });

/** Ordered by usableFromBlock: the table before the one in force, the one in force, scheduled ones. */
const History = z.array(z.object({ table: RoutingTableSchema, usableFromBlock: z.number().int() }));
/** A channel's tables as a node should know them. */
const ChannelTablesSchema = z.object({
  model: z.string(),
  channel: z.string(),
  history: History,
  inForce: RoutingTableSchema.nullable(),
  pending: z.object({ id: z.string(), table: RoutingTableSchema, proposedAtBlock: z.number().int() }).nullable(),
});

export const HeartbeatAnswerSchema = z
  .object({
    nodeId: z.string(),
    currentBlock: z.number().int(),
    genesisMs: z.number().int(),
    intervalMs: z.number().int(),
    heartbeatIntervalMs: z.number().int(),
    activationDelay: z.number().int().meta({ description: 'blocks between a quorum decision and its switch: how long a node may trust this answer' }),
    rollbackDelay: z.number().int().meta({ description: 'blocks between an authorized rollback and its switch' }),
    lagging: z.boolean(),
    flagged: z.array(z.object({ model: z.string(), version: z.string(), digest: z.string() })),
    channels: z.array(
      ChannelTablesSchema.extend({
        lagging: z.boolean(),
        /** Versions this node should fetch (in force, scheduled or pending) that it does not hold verified. */
        missing: z.array(z.string()),
      }),
    ),
    etag: z.string().meta({ description: 'names the tables this answer lists; pass it as `since` to GET /nodes/{id}/desired to wait for the next change' }),
  })
  .meta({ id: 'HeartbeatAnswer' });

export const DesiredQuerySchema = z.object({
  wait: z
    .string()
    .max(16)
    .optional()
    .meta({ description: 'how long to hold the request when nothing changed: "30s", "500ms" or seconds; 0 or absent answers at once; at most 60 s', example: '30s' }),
  since: z.string().max(64).optional().meta({ description: 'the etag the node last saw (from a heartbeat or an earlier poll); If-None-Match works too' }),
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
    channels: z.array(ChannelTablesSchema),
  })
  .meta({ id: 'DesiredTables' });

export const FleetNodeSchema = z
  .object({
    id: z.string(),
    tokenName: z.string(),
    profile: NodeProfileSchema,
    appVersion: z.string(),
    health: z.string(),
    installed: z.array(InstalledVersionSchema),
    channels: z.array(z.object({ model: z.string(), channel: z.string() })),
    telemetry: z.array(VersionTelemetrySchema),
    flagged: z.array(InstalledVersionSchema),
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    lastBlock: z.number().int(),
    live: z.boolean(),
  })
  .meta({ id: 'FleetNode' });

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
  .meta({ id: 'FleetTransition' });

export type InstalledVersion = z.infer<typeof InstalledVersionSchema>;
export type NodeProfile = z.infer<typeof NodeProfileSchema>;
export type VersionTelemetry = z.infer<typeof VersionTelemetrySchema>;
/** A heartbeat as a node sends it (`Heartbeat`) and as the server holds it after defaults (`HeartbeatInput`). */
export type Heartbeat = z.input<typeof HeartbeatSchema>;
export type HeartbeatInput = z.output<typeof HeartbeatSchema>;
export type HeartbeatAnswer = z.infer<typeof HeartbeatAnswerSchema>;
export type ChannelDesired = HeartbeatAnswer['channels'][number];
/** A long-poll answer: the tables a node should know (no per-node `missing`: the next heartbeat says). */
export type DesiredTables = z.infer<typeof DesiredAnswerSchema>;
export type FleetNode = z.infer<typeof FleetNodeSchema>;
export type FleetTransition = z.infer<typeof TransitionSchema>;
export type TransitionState = FleetTransition['state'];
