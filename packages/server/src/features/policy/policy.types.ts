/** The policy shapes are the API's, defined once in `@steward/core/api`. */
export { ChannelPolicySchema, GateSpecSchema, PolicySchema } from '@steward/core/api';
export type { ChannelPolicy, GateSpec, Policy } from '@steward/core/api';
