/** The channel shapes are the API's, defined once in `@steward/core/api` (DESIGN: routing table). */
export type { Channel, ChannelEvent, ChannelEventKind, RoutingTable } from '@steward/core/api';
