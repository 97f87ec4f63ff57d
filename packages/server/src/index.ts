export { startServer, type RunningServer } from './server.ts';
export { createApp, type AppDeps } from './app.ts';
export { resolveConfig, type Config, type ConfigInput } from './config.ts';
export { openDb, type Db } from './db/connect.ts';
