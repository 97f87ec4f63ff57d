export * from './errors.ts';
export * from './registry/index.ts';
