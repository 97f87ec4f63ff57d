export type {
  Arm,
  Candidate,
  CanaryCandidate,
  Constraint,
  Decision,
  DownloadConditions,
  Operator,
  PlatformTable,
  RoutingTable,
  Scalar,
  SplitCandidate,
  UnitContext,
} from './types.ts';
export { OPERATORS } from './types.ts';
export { murmur3x86_32, murmur3String } from './murmur3.ts';
export { BUCKETS, bucketOf } from './bucket.ts';
export { attributeOf, evaluateConstraint, matchesAll } from './constraints.ts';
export { armStarts, findArm, layoutArms } from './arms.ts';
export type { ArmLayout, ArmSpec } from './arms.ts';
export { resolve, tableFor } from './resolve.ts';
export { downloadConditionsFor, mayDownload } from './download.ts';
export type { DeviceState, DownloadBlock, DownloadVerdict } from './download.ts';
export { validateRoutingTable } from './validate.ts';
export type { ValidateOptions } from './validate.ts';
