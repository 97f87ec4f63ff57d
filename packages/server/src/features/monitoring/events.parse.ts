/**
 * NDJSON event parsing and validation. Hand-written rather than zod: at 100k events/s the budget is
 * ~10 µs per event for parse + validate + sketch updates, and a schema walk per line costs more than
 * the rest together. The accepted shapes are documented in docs/monitoring.md and mirrored as
 * types here. Every rejected line gets a reason code; nothing about a bad line leaks into summaries.
 */
import type { FeatureValue, SampleRow } from '@steward/core';

/** Windows are minutes: an event's window starts at `t - (t % MINUTE_MS)`. */
export const MINUTE_MS = 60_000;

export interface PredictionEvent {
  type: 'prediction';
  model: string;
  version: string;
  variant?: string;
  channel?: string;
  requestId: string;
  /** Epoch ms (from the ISO `time`, or receipt time when absent). */
  t: number;
  block?: number;
  unit?: string;
  features: Record<string, FeatureValue>;
  prediction?: string | number | null;
  score?: number;
  probabilities?: Record<string, number>;
  latencyMs?: number;
  error?: boolean;
  groups?: Record<string, string>;
  /** Slot for the aggregator's reservoir-row builder; present in every event so setting it adds no property. */
  sample?: (() => unknown) | undefined;
}

export interface FeedbackEvent {
  type: 'feedback';
  model: string;
  requestId: string;
  label: 0 | 1;
  t: number;
}

export type MonitoringEvent = PredictionEvent | FeedbackEvent;

export type RejectCode =
  | 'invalid_json' | 'wrong_type' | 'not_finite' | 'missing_field' | 'bad_time' | 'unknown_model' | 'unknown_version'
  | 'duplicate_request' | 'unknown_request' | 'feature_type_changed' | 'too_many_features';

export class EventRejected extends Error {
  constructor(readonly code: RejectCode, message: string) {
    super(message);
  }
}

export const MAX_FEATURES = 512;
const reject = (code: RejectCode, msg: string): never => {
  throw new EventRejected(code, msg);
};

function str(o: Record<string, unknown>, k: string, required: boolean, max = 256): string | undefined {
  const v = o[k];
  if (v === undefined || v === null) return required ? reject('missing_field', `"${k}" is required`) : undefined;
  if (typeof v !== 'string') return reject('wrong_type', `"${k}" must be a string`);
  if (v.length === 0 || v.length > max) return reject('wrong_type', `"${k}" must be 1..${max} characters`);
  return v;
}

function num(o: Record<string, unknown>, k: string): number | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') return reject('wrong_type', `"${k}" must be a number`);
  if (!Number.isFinite(v)) return reject('not_finite', `"${k}" must be finite`);
  return v;
}

/** Two ASCII digits at i as a number, or -1. */
function digits2(v: string, i: number): number {
  const a = v.charCodeAt(i) - 48;
  const b = v.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.sssZ` (what `toISOString` writes, and what nearly every sender sends) read
 * without Date.parse's general grammar: a third of the cost. Anything else, or any field that
 * could roll over (day > 28, hour 24) or that Date.UTC reads differently (years below 100), returns NaN and goes through Date.parse, so the result is
 * always Date.parse's.
 */
export function fastIsoTime(v: string): number {
  if (v.length !== 24 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58 || v.charCodeAt(19) !== 46 || v.charCodeAt(23) !== 90) return Number.NaN;
  const y1 = digits2(v, 0);
  const y2 = digits2(v, 2);
  const mo = digits2(v, 5);
  const d = digits2(v, 8);
  const h = digits2(v, 11);
  const mi = digits2(v, 14);
  const sec = digits2(v, 17);
  const ms1 = digits2(v, 20);
  const ms2 = v.charCodeAt(22) - 48;
  if (y1 < 1 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || d > 28 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ms1 < 0 || ms2 < 0 || ms2 > 9) return Number.NaN;
  return Date.UTC(y1 * 100 + y2, mo - 1, d, h, mi, sec, ms1 * 10 + ms2);
}

function time(o: Record<string, unknown>, now: number): number {
  const v = o.time;
  if (v === undefined || v === null) return now;
  if (typeof v !== 'string') return reject('wrong_type', '"time" must be an ISO-8601 string');
  const fast = fastIsoTime(v);
  if (fast === fast) return fast; // not NaN
  const t = Date.parse(v);
  if (Number.isNaN(t)) return reject('bad_time', `"time" is not a valid ISO-8601 time: ${v.slice(0, 40)}`);
  return t;
}

/** Validates an object's values in place (no copy per event); `check` may normalise a value. */
function record<T>(o: Record<string, unknown>, k: string, check: (v: unknown, key: string) => T): Record<string, T> | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) return reject('wrong_type', `"${k}" must be an object`);
  const obj = v as Record<string, unknown>;
  let n = 0;
  for (const key in obj) {
    if (++n > MAX_FEATURES) reject('too_many_features', `"${k}" has more than ${MAX_FEATURES} keys`);
    const x = obj[key];
    const y = check(x, key);
    if (y !== x) obj[key] = y;
  }
  return obj as Record<string, T>;
}

const featureValue = (v: unknown, key: string): FeatureValue => {
  if (v === null || typeof v === 'string') return v as FeatureValue;
  if (typeof v === 'number') return Number.isFinite(v) ? v : reject('not_finite', `"${key}" must be finite`);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return reject('wrong_type', `"${key}" must be a number, string, boolean or null`);
};
const probability = (v: unknown, key: string): number => {
  if (typeof v !== 'number') return reject('wrong_type', `"${key}" must be a number`);
  if (!Number.isFinite(v)) return reject('not_finite', `"${key}" must be finite`);
  if (v < 0 || v > 1) return reject('wrong_type', `"${key}" must be in [0, 1]`);
  return v;
};
const groupValue = (v: unknown, key: string): string => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return reject('wrong_type', `"${key}" must be a string`);
};

/** Validate one parsed line. `now` is epoch ms, used when the event has no time. */
export function toEvent(raw: unknown, now: number): MonitoringEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return reject('wrong_type', 'each line must be a JSON object');
  const o = raw as Record<string, unknown>;
  const type = o.type ?? 'prediction';
  const model = str(o, 'model', true) as string;
  const requestId = str(o, 'requestId', true, 256) as string;
  const t = time(o, now);
  if (type === 'feedback') {
    const l = o.label;
    const label = l === 1 || l === true || l === '1' ? 1 : l === 0 || l === false || l === '0' ? 0 : reject('wrong_type', '"label" must be 0/1 or true/false');
    return { type, model, requestId, label, t };
  }
  if (type !== 'prediction') return reject('wrong_type', '"type" must be "prediction" or "feedback"');
  const features = record(o, 'features', featureValue) ?? {};
  const score = num(o, 'score');
  if (score !== undefined && (score < 0 || score > 1)) reject('wrong_type', '"score" must be a probability in [0, 1]');
  const p = o.prediction;
  if (p !== undefined && p !== null && typeof p !== 'string' && typeof p !== 'number') reject('wrong_type', '"prediction" must be a string or number');
  if (typeof p === 'number' && !Number.isFinite(p)) reject('not_finite', '"prediction" must be finite');
  const latencyMs = num(o, 'latencyMs');
  if (latencyMs !== undefined && latencyMs < 0) reject('wrong_type', '"latencyMs" must be >= 0');
  const err = o.error;
  if (err !== undefined && err !== null && typeof err !== 'boolean' && typeof err !== 'string') reject('wrong_type', '"error" must be a boolean or a message');
  const block = num(o, 'block');
  const probabilities = record(o, 'probabilities', probability);
  // One object literal with every field in a fixed order (undefined when absent): every event has
  // the same hidden class, so the aggregator's property reads stay monomorphic.
  const ev: PredictionEvent = {
    type: 'prediction', model, version: str(o, 'version', true, 128) as string, requestId, t, features,
    variant: str(o, 'variant', false), channel: str(o, 'channel', false), unit: str(o, 'unit', false), block,
    prediction: p as string | number | null | undefined,
    score: score ?? (probabilities && '1' in probabilities ? probabilities['1'] : undefined),
    probabilities, latencyMs, error: err ? true : undefined, groups: record(o, 'groups', groupValue), sample: undefined,
  };
  return ev;
}

/**
 * Calls `each` per non-empty line with the parsed event or the rejection; the first line is
 * number `firstLine`. Returns the number of the last line (empty ones count).
 */
export function forEachLine(text: string, now: number, each: (line: number, ev: MonitoringEvent | EventRejected) => void, firstLine = 1): number {
  let start = 0;
  let line = firstLine - 1;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const s = text.slice(start, end).trim();
    start = end + 1;
    if (s.length === 0) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(s);
    } catch {
      each(line, new EventRejected('invalid_json', 'not valid JSON (NaN and Infinity are not JSON)'));
      continue;
    }
    try {
      each(line, toEvent(raw, now));
    } catch (e) {
      if (e instanceof EventRejected) each(line, e);
      else throw e;
    }
  }
  return line;
}

/** The reservoir row of a prediction; `this` is the event (see addPrediction's `sample`). */
export function sampleOf(this: PredictionEvent): SampleRow {
  const row: SampleRow = { requestId: this.requestId, time: new Date(this.t).toISOString(), features: this.features };
  if (this.score !== undefined) row.score = this.score;
  if (this.probabilities) row.probabilities = this.probabilities;
  if (this.prediction !== undefined) row.prediction = this.prediction;
  return row;
}
