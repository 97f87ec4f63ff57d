/**
 * Batching event sender for services: `record()` is synchronous and O(1) and never blocks or
 * throws — when the bounded queue is full the event is dropped and counted. A timer (or a full
 * batch) sends NDJSON batches in the background, one request at a time; a failed batch is retried
 * once with backoff and then dropped (counted), so a down server costs memory ≤ maxQueue events.
 */
import type { MonitoringEventInput, IngestResult } from '../api/events.ts';

export interface EventSenderOptions {
  /** Sends one NDJSON batch (e.g. `(b) => client.events.sendNdjson(b)`). */
  send: (ndjson: string) => Promise<IngestResult>;
  maxQueue?: number;
  batchSize?: number;
  flushIntervalMs?: number;
  retryDelayMs?: number;
  onError?: (err: unknown) => void;
}

export interface EventSenderStats {
  queued: number;
  sent: number;
  accepted: number;
  rejected: number;
  /** Dropped because the queue was full. */
  dropped: number;
  /** Dropped after a batch failed twice. */
  failed: number;
}

export class EventSender {
  readonly #o: Required<Omit<EventSenderOptions, 'onError'>> & Pick<EventSenderOptions, 'onError'>;
  #queue: string[] = [];
  #sending: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly stats: EventSenderStats = { queued: 0, sent: 0, accepted: 0, rejected: 0, dropped: 0, failed: 0 };

  constructor(o: EventSenderOptions) {
    this.#o = { maxQueue: 10_000, batchSize: 1000, flushIntervalMs: 1000, retryDelayMs: 500, ...o };
    this.#timer = setInterval(() => void this.flush(), this.#o.flushIntervalMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /**
   * Queue one event; returns false if it was dropped. Never blocks the caller.
   * @example sender.record({ model: 'adult', version: '1.0.0', requestId: id, features, score });
   */
  record(event: MonitoringEventInput): boolean {
    if (this.#queue.length >= this.#o.maxQueue) {
      this.stats.dropped++;
      return false;
    }
    let line: string;
    try {
      line = JSON.stringify(event);
    } catch {
      this.stats.dropped++;
      return false;
    }
    this.#queue.push(line);
    this.stats.queued = this.#queue.length;
    if (this.#queue.length >= this.#o.batchSize && !this.#sending) void this.flush();
    return true;
  }

  /** Send everything queued so far (one batch at a time). Resolves when done; never rejects. */
  flush(): Promise<void> {
    if (this.#sending) return this.#sending;
    if (this.#queue.length === 0) return Promise.resolve();
    this.#sending = (async () => {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#o.batchSize);
        this.stats.queued = this.#queue.length;
        await this.#sendBatch(batch);
      }
    })().finally(() => {
      this.#sending = undefined;
    });
    return this.#sending;
  }

  async #sendBatch(batch: string[]): Promise<void> {
    const body = batch.join('\n');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const r = await this.#o.send(body);
        this.stats.sent += batch.length;
        this.stats.accepted += r.accepted;
        this.stats.rejected += r.rejected;
        return;
      } catch (err) {
        this.#o.onError?.(err);
        if (attempt === 0) await new Promise((res) => setTimeout(res, this.#o.retryDelayMs));
      }
    }
    this.stats.failed += batch.length;
  }

  /** Stop the timer and send what is left. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
