import { seg, type HttpTransport } from '../http.ts';
import type { Channel, ChannelAt, ChannelEvent, Page, RollbackRequest, RollbackResult } from '../types.ts';

/** Channels: named, protected pointers per model, with an event history. */
export class ChannelsApi {
  constructor(private readonly http: HttpTransport) {}

  async list(model: string): Promise<Channel[]> {
    const res = await this.http.json<{ items: Channel[] }>('GET', `/models/${seg(model)}/channels`);
    return res.items;
  }

  get(model: string, channel: string): Promise<Channel> {
    return this.http.json('GET', this.#path(model, channel));
  }

  /**
   * Points the channel's stable version at `version`.
   * @example
   * await client.channels.set('fraud', 'production', { version: '1.2.0', reason: 'better recall' });
   * // On a protected channel this throws `gate_failed` (422) unless the version passed validation and
   * // is approved; `force: true` overrides that for an admin token with a reason (audited).
   */
  set(model: string, channel: string, body: { version: string; reason?: string; force?: boolean }): Promise<Channel> {
    return this.http.json('PUT', this.#path(model, channel), body);
  }

  /** Newest first. */
  history(model: string, channel: string, query: { limit?: number; cursor?: string } = {}): Promise<Page<ChannelEvent>> {
    return this.http.json('GET', `${this.#path(model, channel)}/history`, undefined, { ...query });
  }

  /**
   * What was live at `time` (ISO-8601). 404 if nothing was.
   * @example
   * const { table } = await client.channels.at('fraud', 'production', '2025-01-31T12:00:00Z');
   */
  at(model: string, channel: string, time: string): Promise<ChannelAt> {
    return this.http.json('GET', `${this.#path(model, channel)}/at`, undefined, { time });
  }

  /**
   * Without `to`, moves stable back to the previous stable version. `dryRun` only reports.
   * @example
   * const plan = await client.channels.rollback('fraud', 'production', { dryRun: true });
   * console.log(`${plan.from.stable} -> ${plan.to.stable}`);
   */
  rollback(model: string, channel: string, body: RollbackRequest = {}): Promise<RollbackResult> {
    return this.http.json('POST', `${this.#path(model, channel)}/rollback`, body);
  }

  #path(model: string, channel: string): string {
    return `/models/${seg(model)}/channels/${seg(channel)}`;
  }
}
