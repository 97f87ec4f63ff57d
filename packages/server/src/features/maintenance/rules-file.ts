import { InvalidInputError, parseDurationMs } from '@steward/core';
import { RulesFileSchema, type Rule, type RulesFile } from '@steward/core/api';
import { parse as parseYaml } from 'yaml';
import { validationError } from '../../http/validation.ts';

export type { Rule, RulesFile };

/** A rule's duration (validated by the schema) in milliseconds. */
export const durationMs = (d: string): number => parseDurationMs(d) ?? Number.NaN;

/** YAML (or JSON, which is YAML) text → validated rules; errors name the offending path. */
export function parseRulesText(text: string): RulesFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new InvalidInputError(`rules file is not valid YAML: ${(e as Error).message.split('\n')[0]}`, {}, 'bad_rules');
  }
  const r = RulesFileSchema.safeParse(raw);
  if (!r.success) throw validationError(r.error, 'rules');
  return r.data;
}
