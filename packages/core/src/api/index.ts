export * from './common.schema.ts';
export * from './models.schema.ts';
export * from './versions.schema.ts';
export * from './channels.schema.ts';
export * from './tokens.schema.ts';
export * from './resolve.schema.ts';
export * from './policy.schema.ts';
export * from './gates.schema.ts';
