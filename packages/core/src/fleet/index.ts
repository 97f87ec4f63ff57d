export * from './node-readiness.ts';
export * from './pending-transitions.ts';
export * from './routing-table-like.ts';
export * from './table-at-block.ts';
export * from './transition-rules.ts';
