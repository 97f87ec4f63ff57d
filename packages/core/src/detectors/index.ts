/** Streaming change detectors for error and score streams (River's algorithms and defaults). */
export { PageHinkley, type PageHinkleyOptions } from './page-hinkley.ts';
export { Adwin, type AdwinOptions } from './adwin.ts';
export { Ddm, type DdmOptions } from './ddm.ts';
