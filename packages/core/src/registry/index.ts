export * from './names.ts';
export * from './semver-key.ts';
export * from './version-filter.ts';
export * from './canonical-json.ts';
export * from './manifest.ts';
