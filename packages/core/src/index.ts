export * from './errors.ts';
export * from './registry/index.ts';
export * from './routing/index.ts';
export * from './chain/index.ts';
export * from './fleet/index.ts';
