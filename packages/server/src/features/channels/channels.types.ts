/** A channel's state (DESIGN: routing table). Only `stable` is set until rollouts land; other keys pass through. */
export interface RoutingTable {
  stable: string;
  [k: string]: unknown;
}

export interface Channel {
  model: string;
  name: string;
  table: RoutingTable;
  seq: number;
  updatedAt: string;
  updatedBy: string;
}

/** `rollout` marks steps of a rollout; `transition` a fleet switch recorded by the fleet feature. */
export type ChannelEventKind = 'set' | 'rollback' | 'rollout' | 'transition';

export interface ChannelEvent {
  id: string;
  seq: number;
  model: string;
  channel: string;
  kind: ChannelEventKind;
  from: RoutingTable | null;
  to: RoutingTable;
  author: string;
  reason: string;
  at: string;
}
