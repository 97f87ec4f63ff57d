// Worker entry: worker threads do not inherit the parent's TypeScript loader, so register tsx
// (the same loader bin/steward.js uses) before importing the TypeScript worker body.
import { register } from 'tsx/esm/api';

register();
await import('./chunk-worker.ts');
