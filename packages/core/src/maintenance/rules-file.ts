import { parse as parseYaml } from 'yaml';
import { RulesFileSchema, type RulesFile } from '../api/maintenance.schema.ts';
import { InvalidInputError, validationError } from '../errors.ts';

/**
 * A rules file's YAML (or JSON, which is YAML) text → validated rules; errors name the offending
 * path. The server checks every `PUT /models/{name}/rules` with it and `steward rules lint`
 * checks a file before anything is sent.
 */
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
