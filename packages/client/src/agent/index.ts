export { createAgent, type Agent, type AgentStatus, type SubmitOptions } from './agent.ts';
export { createStorageInstaller, memoryStorage } from './storage-installer.ts';
export { mergeHistory, versionsOf, versionsToKeep, type History } from './served-tables.ts';
export { createTelemetryBuffer, type TelemetryBuffer } from './telemetry.ts';
export type { AgentOptions, AgentStorage, Installed, InstalledFiles, Installer, ModelLoader, Ticket } from './types.ts';
