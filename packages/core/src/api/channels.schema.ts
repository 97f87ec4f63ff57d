import { z } from 'zod';

/**
 * A channel's routing table as the channel API carries it: `stable` plus the members rollouts
 * add (candidates, overrides, per-platform tables; core's `RoutingTable` types them in full).
 */
export const RoutingTableSchema = z.object({ stable: z.string() }).catchall(z.unknown()).meta({ id: 'RoutingTable' });
export type RoutingTable = z.infer<typeof RoutingTableSchema>;

export const ChannelSchema = z
  .object({ model: z.string(), name: z.string(), table: RoutingTableSchema, seq: z.number(), updatedAt: z.string(), updatedBy: z.string() })
  .meta({ id: 'Channel' });
export type Channel = z.infer<typeof ChannelSchema>;

/** `rollout` marks steps of a rollout; `transition` a fleet switch recorded by the fleet feature. */
export const ChannelEventKindSchema = z.enum(['set', 'rollback', 'rollout', 'transition']);
export type ChannelEventKind = z.infer<typeof ChannelEventKindSchema>;

export const ChannelEventSchema = z
  .object({
    id: z.string(),
    seq: z.number(),
    model: z.string(),
    channel: z.string(),
    kind: ChannelEventKindSchema,
    from: RoutingTableSchema.nullable(),
    to: RoutingTableSchema,
    author: z.string(),
    reason: z.string(),
    at: z.string(),
  })
  .meta({ id: 'ChannelEvent' });
export type ChannelEvent = z.infer<typeof ChannelEventSchema>;

export const ChannelAtSchema = z.object({ table: RoutingTableSchema, event: ChannelEventSchema }).meta({ id: 'ChannelAt' });
export type ChannelAt = z.infer<typeof ChannelAtSchema>;

export const ReasonSchema = z.string().max(2048);
/** Admin override of a protected channel's gates; needs `reason`, recorded in the audit log. */
export const ForceSchema = z.boolean().optional();

export const ChannelSetSchema = z.strictObject({ version: z.string().max(128), reason: ReasonSchema.optional(), force: ForceSchema });
export type ChannelSet = z.input<typeof ChannelSetSchema>;

export const RollbackRequestSchema = z.strictObject({
  /** Target version; omitted = the stable version before the current one. */
  to: z.string().max(128).optional(),
  reason: ReasonSchema.optional(),
  /** Report what would happen without changing anything. */
  dryRun: z.boolean().optional(),
  force: ForceSchema,
});
export type RollbackRequest = z.input<typeof RollbackRequestSchema>;

export const RollbackResultSchema = z
  .object({
    /** The table before / after (dry run: what it would be). */
    from: RoutingTableSchema,
    to: RoutingTableSchema,
    applied: z.boolean(),
    event: ChannelEventSchema.optional(),
  })
  .meta({ id: 'RollbackResult' });
export type RollbackResult = z.infer<typeof RollbackResultSchema>;
