import { z } from 'zod';

export const BlockHeaderSchema = z
  .object({ height: z.number().int(), prevHash: z.string(), eventsRoot: z.string(), eventCount: z.number().int(), hash: z.string() })
  .meta({ id: 'BlockHeader' });
export type BlockHeaderInfo = z.infer<typeof BlockHeaderSchema>;

export const ChainHeadSchema = z
  .object({ currentBlock: z.number().int(), genesisMs: z.number().int(), intervalMs: z.number().int(), head: BlockHeaderSchema.nullable() })
  .meta({ id: 'ChainHead' });
export type ChainHead = z.infer<typeof ChainHeadSchema>;

export const ChainBlocksQuerySchema = z.object({
  after: z.coerce.number().int().min(-1).default(-1).meta({ description: 'return blocks above this height (-1: from the start)' }),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export const ChainBlocksSchema = z.object({
  items: z.array(z.object({ block: BlockHeaderSchema, events: z.array(z.string()).meta({ description: 'events as hashed: canonical JSON text' }) })),
  anchor: BlockHeaderSchema.nullable().meta({ description: 'the block just before the first item, to verify a segment' }),
});
export type ChainBlocks = z.infer<typeof ChainBlocksSchema>;

export const AuditEventSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    details: z.record(z.string(), z.unknown()),
    /** Block that holds the event; null until sealed. */
    block: z.number().int().nullable(),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEvent = z.infer<typeof AuditEventSchema>;

export const AuditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.string().max(64).optional().meta({ description: 'only events strictly before this ISO time (paging)' }),
  action: z.string().max(128).optional(),
  target: z.string().max(512).optional(),
  actor: z.string().max(256).optional(),
});
/** Query of `GET /audit/events` as a caller writes it (`limit` travels as a query string). */
export type AuditQuery = Omit<z.input<typeof AuditQuerySchema>, 'limit'> & { limit?: number };
