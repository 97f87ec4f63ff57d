/** Mergeable, JSON-serialisable per-window summaries; memory grows with columns, never rows. */
export { mulberry32, type Random } from './prng.ts';
export { KllSketch, DEFAULT_KLL_K, type KllJSON } from './kll.ts';
export {
  emptyMoments, addMoment, mergeMoments, variance, momentsOf, momentsToJSON, momentsFromJSON, type MomentsState,
} from './moments.ts';
export {
  emptyCategorical, addCategory, mergeCategorical, topK, DEFAULT_CATEGORY_CAPACITY, type CategoricalState, type TopK,
} from './categorical.ts';
export { emptyReservoir, addToReservoir, mergeReservoirs, type ReservoirState } from './reservoir.ts';
