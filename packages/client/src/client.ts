import { BlobsApi } from './api/blobs.ts';
import { ChunksApi } from './api/chunks.ts';
import { StorageApi } from './api/storage.ts';
import { ApprovalsApi } from './api/approvals.ts';
import { DatasetsApi } from './api/datasets.ts';
import { EvaluationsApi } from './api/evaluations.ts';
import { PolicyApi } from './api/policy.ts';
import { ValidationsApi } from './api/validations.ts';
import { ChannelsApi } from './api/channels.ts';
import { RolloutsApi } from './api/rollouts.ts';
import { resolveVia, type ResolveContext, type Resolution } from './api/resolve.ts';
import { TelemetryApi } from './api/telemetry.ts';
import { ChainApi } from './api/chain.ts';
import { FleetApi } from './api/fleet.ts';
import { DraftsApi } from './api/drafts.ts';
import { ModelsApi } from './api/models.ts';
import { TokensApi } from './api/tokens.ts';
import { VersionsApi } from './api/versions.ts';
import { EventsApi } from './api/events.ts';
import { LabelsApi } from './api/labels.ts';
import { MonitoringApi } from './api/monitoring.ts';
import { RulesApi } from './api/rules.ts';
import { HttpTransport, type FetchLike } from './http.ts';
import type { Page, SigningKey, WhoAmI } from './types.ts';

export interface StewardClientOptions {
  /** Server origin, e.g. `http://127.0.0.1:7600` (the `/api/v1` prefix is added). */
  url: string;
  /** Bearer token; omit only for servers started with auth off. */
  token?: string;
  /** Custom fetch (tests, proxies, retries). Defaults to the global fetch. */
  fetch?: FetchLike;
}

/**
 * Typed client for the Steward REST API. Runs in Node 20+ and browsers (global fetch only).
 * Every non-2xx answer throws StewardApiError; an unreachable server throws StewardUnreachableError.
 *
 * @example
 * const client = new StewardClient({ url: 'http://127.0.0.1:7600', token: process.env.STEWARD_TOKEN });
 * const model = await client.models.get('acme/fraud');
 * const prod = await client.versions.get('acme/fraud', 'production');
 */
export class StewardClient {
  readonly url: string;
  /** The bearer token, for Node helpers that stream over node:http (see node/http-upload.ts). */
  readonly token: string | undefined;
  readonly models: ModelsApi;
  readonly drafts: DraftsApi;
  readonly blobs: BlobsApi;
  /** Chunk-level delta transfers (missing / upload / recipe / fetch). */
  readonly chunks: ChunksApi;
  /** Storage stats, garbage collection and fsck. */
  readonly storage: StorageApi;
  readonly versions: VersionsApi;
  readonly channels: ChannelsApi;
  /** Canary / A/B / shadow / blue-green / scheduled rollouts of a channel. */
  readonly rollouts: RolloutsApi;
  /** Per-version counters that rollout analyses read. */
  readonly telemetry: TelemetryApi;
  readonly tokens: TokensApi;
  readonly fleet: FleetApi;
  readonly chain: ChainApi;
  readonly policy: PolicyApi;
  readonly datasets: DatasetsApi;
  readonly evaluations: EvaluationsApi;
  readonly validations: ValidationsApi;
  readonly approvals: ApprovalsApi;
  readonly events: EventsApi;
  readonly monitoring: MonitoringApi;
  readonly rules: RulesApi;
  readonly labels: LabelsApi;
  readonly #http: HttpTransport;

  constructor(opts: StewardClientOptions) {
    this.#http = new HttpTransport(opts.url, opts.token, opts.fetch);
    this.url = this.#http.baseUrl;
    this.token = opts.token;
    this.models = new ModelsApi(this.#http);
    this.drafts = new DraftsApi(this.#http);
    this.blobs = new BlobsApi(this.#http);
    this.chunks = new ChunksApi(this.#http);
    this.storage = new StorageApi(this.#http);
    this.versions = new VersionsApi(this.#http);
    this.channels = new ChannelsApi(this.#http);
    this.rollouts = new RolloutsApi(this.#http);
    this.telemetry = new TelemetryApi(this.#http);
    this.tokens = new TokensApi(this.#http);
    this.fleet = new FleetApi(this.#http);
    this.chain = new ChainApi(this.#http);
    this.policy = new PolicyApi(this.#http);
    this.datasets = new DatasetsApi(this.#http);
    this.evaluations = new EvaluationsApi(this.#http);
    this.validations = new ValidationsApi(this.#http);
    this.approvals = new ApprovalsApi(this.#http);
    this.events = new EventsApi(this.#http);
    this.monitoring = new MonitoringApi(this.#http);
    this.rules = new RulesApi(this.#http);
    this.labels = new LabelsApi(this.#http);
  }

  /**
   * Which version, variant and files the server routes this unit to (`GET /resolve`).
   * @example
   * const r = await client.resolve('fraud', 'production', 'user-42', { platform: 'android', attributes: { tier: 'gold' } });
   */
  resolve(model: string, channel: string, unit?: string, context: ResolveContext = {}): Promise<Resolution> {
    return resolveVia(this.#http, model, channel, unit, context);
  }

  /** Who the token belongs to. */
  whoami(): Promise<WhoAmI> {
    return this.#http.json('GET', '/whoami');
  }

  /** The server's manifest-signing public key (Ed25519, SPKI PEM). */
  keys(): Promise<SigningKey> {
    return this.#http.json('GET', '/keys');
  }
}

/**
 * Walks every page of a cursor-paginated list.
 * @example
 * for await (const v of paginate((cursor) => client.versions.list('fraud', { cursor }))) console.log(v.version);
 */
export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
