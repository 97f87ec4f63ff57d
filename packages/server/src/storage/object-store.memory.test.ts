import { createMemoryObjectStore } from './object-store.memory.ts';
import { describeObjectStore } from './object-store.suite.ts';

describeObjectStore('memory', async () => ({ store: createMemoryObjectStore(), cleanup: async () => {} }));
