/** Drift statistics: tests, distances, corrections and Evidently-style method selection. */
export { logGamma, gammaQ, erfc, normalCdf, normalSf, chi2Sf, logBinomial } from './special.ts';
export { kolmogorovSf, smirnovSf } from './ks-distribution.ts';
export { ksTwoSample, ksTwoSampleSorted, ksStatisticSorted, type KsResult } from './ks-two-sample.ts';
export { chiSquareTest, chiSquareCounts, type ChiSquareResult } from './chisquare.ts';
export { twoProportionZTest, type ZTestResult } from './z-test.ts';
export { wassersteinDistance, wassersteinSorted, normedWasserstein, populationStd } from './wasserstein.ts';
export { jensenShannonDistance } from './jensen-shannon.ts';
export { quantileSorted, decileEdges, binIndex, binCounts, evidentlyPercents } from './binning.ts';
export { psiFromCounts, psiOnDeciles, PSI_FLOOR } from './psi.ts';
export { bonferroni, benjaminiHochberg, adjustPValues, type Correction } from './multiple-testing.ts';
export {
  selectDriftMethod, DEFAULT_THRESHOLDS, P_VALUE_METHODS, SMALL_REFERENCE_ROWS, type ColumnKind, type DriftMethod,
} from './drift-method.ts';
export { columnDrift, datasetDrift, type DriftColumn, type ColumnDrift, type DatasetDrift, type DriftOptions } from './drift.ts';
