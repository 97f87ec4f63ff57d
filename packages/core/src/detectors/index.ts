/** Streaming change detectors for error and score streams (River's algorithms and defaults). */
export { PageHinkley, type PageHinkleyOptions, type PageHinkleyState } from './page-hinkley.ts';
export { Adwin, type AdwinOptions, type AdwinState } from './adwin.ts';
export { Ddm, type DdmOptions, type DdmState } from './ddm.ts';
