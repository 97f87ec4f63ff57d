import { InvalidInputError } from '../errors.ts';

/**
 * The block clock: Steward's logical time. `height = floor((now - genesis) / interval)`.
 * Genesis and interval are persisted once (server data dir) and never change afterwards, or
 * every stored block stamp would silently shift meaning.
 *
 * Units: all times are integer milliseconds since the Unix epoch (what `Date.now()` returns);
 * heights are non-negative safe integers. Core never reads the clock: callers pass `nowMs`.
 */
export interface BlockClockConfig {
  /** Wall-clock instant of block 0, ms since epoch. */
  readonly genesisMs: number;
  /** Length of one block, ms (default {@link DEFAULT_BLOCK_INTERVAL_MS}). */
  readonly intervalMs: number;
}

export const DEFAULT_BLOCK_INTERVAL_MS = 1000;

/** Throws `InvalidInputError` unless genesis is a safe integer and the interval a positive one. */
export function validateBlockClock(config: BlockClockConfig): void {
  const { genesisMs, intervalMs } = config;
  if (!Number.isSafeInteger(genesisMs)) {
    throw new InvalidInputError('block clock genesisMs must be an integer number of milliseconds', { genesisMs });
  }
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
    throw new InvalidInputError('block clock intervalMs must be a positive integer number of milliseconds', {
      intervalMs,
    });
  }
}

/**
 * Height of the block that contains `nowMs`. An instant exactly on a boundary belongs to the
 * block that starts there. Throws `clock_before_genesis` for an instant before genesis: that
 * means a misconfigured genesis or a clock that went backwards, and must not become block -1.
 */
export function blockAt(nowMs: number, config: BlockClockConfig): number {
  validateBlockClock(config);
  if (!Number.isSafeInteger(nowMs)) {
    throw new InvalidInputError('block clock: now must be an integer number of milliseconds', { nowMs });
  }
  const elapsed = nowMs - config.genesisMs;
  if (elapsed < 0) {
    throw new InvalidInputError(
      `block clock: now (${nowMs}) is before genesis (${config.genesisMs}); check the persisted genesis and the system clock`,
      { nowMs, genesisMs: config.genesisMs },
      'clock_before_genesis',
    );
  }
  // Both operands are non-negative safe integers, so the quotient's floor is exact.
  return Math.floor(elapsed / config.intervalMs);
}

/** First millisecond of block `height` (inverse of {@link blockAt}). */
export function blockStartMs(height: number, config: BlockClockConfig): number {
  validateBlockClock(config);
  assertHeight(height);
  const start = config.genesisMs + height * config.intervalMs;
  if (!Number.isSafeInteger(start)) {
    throw new InvalidInputError('block clock: block start is out of range', { height });
  }
  return start;
}

/** Heights are non-negative safe integers everywhere in the chain and fleet code. */
export function assertHeight(height: number, what = 'block height'): void {
  if (!Number.isSafeInteger(height) || height < 0) {
    throw new InvalidInputError(`${what} must be a non-negative integer`, { [what]: height });
  }
}
