#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx is resolved from this file, not from the caller's cwd.
import { register } from 'tsx/esm/api';
register();
await import('../src/main.ts');
