// Entry of the ingest worker thread (see ingest-offload.ts). The server runs from its TypeScript
// sources, but a worker does not inherit a loader registered at run time (`steward serve`
// registers tsx lazily), so the worker registers it itself before loading its code.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./ingest.worker.ts', import.meta.url).href);
