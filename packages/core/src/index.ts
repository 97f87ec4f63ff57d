export * from './errors.ts';
export * from './registry/index.ts';
export * from './routing/index.ts';
