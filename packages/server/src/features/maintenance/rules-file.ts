import { parseDurationMs } from '@steward/core';
import type { Rule, RulesFile } from '@steward/core/api';

export { parseRulesText } from '@steward/core';
export type { Rule, RulesFile };

/** A rule's duration (validated by the schema) in milliseconds. */
export const durationMs = (d: string): number => parseDurationMs(d) ?? Number.NaN;
