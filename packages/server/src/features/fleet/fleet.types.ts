/** The fleet's shapes are the API's, defined once in `@steward/core/api`. */
export type {
  FleetNode,
  FleetTransition as Transition,
  HeartbeatInput,
  InstalledVersion,
  NodeProfile,
  TransitionState,
  VersionTelemetry,
} from '@steward/core/api';
