import { downloadConditionsFor, resolve, type Decision, type DownloadConditions, type RoutingTable, type UnitContext } from '@steward/core';
import { HttpTransport, seg, type FetchLike } from '../http.ts';

export interface ResolverOptions {
  url: string;
  token?: string;
  fetch?: FetchLike;
  model: string;
  channel: string;
  /** Poll the channel this often (ms); 0 = only on `refresh()`. Default 10 000. */
  refreshMs?: number;
  /** Called when a refresh fails; the resolver keeps serving the last table it had. */
  onError?: (err: unknown) => void;
}

export interface Resolver {
  /** Routes one unit with the cached table. Pure and synchronous: no I/O per call. */
  resolve(unit: string | null | undefined, context?: UnitContext): Decision;
  /** Download conditions the cached table delivers to a platform. */
  download(platform: string | undefined): DownloadConditions | undefined;
  /** Fetches the table if it changed (ETag / If-None-Match); true when it did. */
  refresh(): Promise<boolean>;
  readonly table: RoutingTable;
  readonly seq: number;
  close(): void;
}

/**
 * An in-process resolver: fetches the channel's routing table once, then answers `resolve` from
 * memory with core's sticky routing (the same decision the server's `/resolve` gives), polling
 * with `If-None-Match` so an unchanged table costs a 304 and no body.
 *
 * @example
 * const r = await createResolver({ url: 'http://127.0.0.1:7600', token, model: 'fraud', channel: 'production' });
 * const { version, variant, arm } = r.resolve('user-42', { platform: 'android', region: 'eu' });
 * r.close();
 */
export async function createResolver(opts: ResolverOptions): Promise<Resolver> {
  const http = new HttpTransport(opts.url, opts.token, opts.fetch);
  const path = `/models/${seg(opts.model)}/channels/${seg(opts.channel)}`;
  let etag: string | undefined;
  let table: RoutingTable = { stable: '' };
  let seq = -1;

  async function refresh(): Promise<boolean> {
    const res = await http.raw('GET', path, { headers: { accept: 'application/json', ...(etag ? { 'if-none-match': etag } : {}) }, allow: [304] });
    if (res.status === 304) return false;
    const body = (await res.json()) as { table: RoutingTable; seq: number };
    etag = res.headers.get('etag') ?? undefined;
    const changed = body.seq !== seq;
    table = body.table;
    seq = body.seq;
    return changed;
  }

  await refresh();
  const every = opts.refreshMs ?? 10_000;
  const timer = every > 0 ? setInterval(() => void refresh().catch((err) => opts.onError?.(err)), every) : undefined;
  (timer as { unref?: () => void } | undefined)?.unref?.();

  return {
    resolve: (unit, context) => resolve(table, unit, context),
    download: (platform) => downloadConditionsFor(table, platform),
    refresh,
    get table() {
      return table;
    },
    get seq() {
      return seq;
    },
    close: () => clearInterval(timer),
  };
}
