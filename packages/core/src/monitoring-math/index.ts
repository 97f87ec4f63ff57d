/** Monitoring math over window summaries: sketches per window, drift against a reference, CBPE, group fairness, uncertainty. Pure. */
export {
  cbpeFromScores, cbpeFromHistogram, emptyScoreHistogram, addScore, mergeScoreHistograms, SCORE_BINS,
  type CbpeEstimate, type ScoreHistogram,
} from './cbpe.ts';
export {
  groupFairness, groupFairnessWithCi, emptyGroupCounts, mergeGroupCounts, poisson,
  type GroupCounts, type GroupFairness, type GroupFairnessRates, type GroupFairnessWithCi, type Interval,
} from './group-fairness.ts';
export { uncertainty, probabilitiesOf, type UncertaintyMethod } from './uncertainty.ts';
export {
  emptyWindowSummary, emptyFeatureSketch, addPrediction, addLabel, addAlarm, mergeWindowSummaries, absorbWindowSummary, windowSummaryToJSON, windowSummaryFromJSON,
  latencyBucket, isPositive, LATENCY_EDGES_MS, MAX_GROUPS_PER_ATTRIBUTE, OTHER_GROUP, DEFAULT_RESERVOIR,
  type WindowSummary, type FeatureSketch, type FeatureValue, type SampleRow, type PredictionInput, type LabelledCounts,
} from './window-summary.ts';
export {
  buildReferenceProfile, REFERENCE_KLL_K, DEFAULT_MAX_ECE,
  type ReferenceProfile, type ReferenceColumn, type ReferenceOptions, type ReferencePerformance,
} from './reference-profile.ts';
export { driftFromSketches, replayKll, MAX_REPLAY, type SketchDrift } from './sketch-drift.ts';
export { windowMetrics, type WindowMetrics } from './window-metrics.ts';
export {
  emptyLogHistogram, addToLogHistogram, mergeLogHistograms, replayLogHistogram, logHistogramQuantile, logHistKey, logHistValue, LOG_HIST_GAMMA, type LogHistogram,
} from './log-histogram.ts';
