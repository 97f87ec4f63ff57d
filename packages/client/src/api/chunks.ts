import type { BlobRecipe, ChunkUploadResult, PutRecipeResult, PutRecipesInput, PutRecipesResult, RecipeQueryResult } from '@steward/core/api';
import { ENCODED_FRAMES_TYPE } from '@steward/core';
import { StewardApiError } from '../errors.ts';
import type { HttpTransport } from '../http.ts';
import { FrameDecoder, type ChunkFrame } from './chunk-frames.ts';


async function* slices(body: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < body.length; at += size) yield body.subarray(at, Math.min(at + size, body.length));
}

export type { BlobRecipe, ChunkUploadResult, PutRecipeResult, PutRecipesInput, PutRecipesResult, RecipeQueryResult };

/**
 * Chunk-level transfers (see docs/storage.md): ask which chunks the server lacks, upload framed
 * batches, describe a blob by its recipe, fetch framed chunks. Ids are lowercase hex SHA-256.
 */
export class ChunksApi {
  /** Set once the server refused `encoding` (a server older than compressed fetch answers): later fetches ask for raw frames. */
  #rawOnly = false;

  constructor(private readonly http: HttpTransport) {}

  /**
   * Ids the server does not store, in request order (at most 10,000 ids per call).
   * @example
   * const { missing } = await client.chunks.missing(ids);
   */
  missing(ids: string[]): Promise<{ missing: string[] }> {
    return this.http.json('POST', '/chunks/missing', { ids });
  }

  /**
   * Uploads one framed batch (`encodeFrames`), at most 64 MiB and 4096 frames. The server checks
   * every frame before storing any.
   * @example
   * await client.chunks.upload(encodeFrames(frames));
   */
  async upload(body: Uint8Array, signal?: AbortSignal): Promise<ChunkUploadResult> {
    const res = await this.http.raw('POST', '/chunks', {
      // As a stream of 1 MiB views, not the Uint8Array itself: fetch (undici) copies a byte-array
      // body before sending it, twice per batch in profiles; a stream goes out as is.
      body: slices(body, 1 << 20),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) },
      signal,
    });
    return (await res.json()) as ChunkUploadResult;
  }

  /**
   * Declares several blobs by their recipes in one request, every chunk stored already (at most
   * 1,000 recipes and 100,000 chunk ids): the server checks each and commits all of them or none.
   * Results in request order, `created: false` for blobs it had. 409 `chunk_missing` lists every
   * missing chunk; 422 `digest_mismatch` names the first recipe that does not add up. A server
   * older than this call answers 404.
   * @example
   * const { results } = await client.chunks.putRecipes([{ sha256, size, chunks: ids }, …]);
   */
  putRecipes(recipes: PutRecipesInput['recipes']): Promise<PutRecipesResult> {
    return this.http.json('POST', '/blobs/recipes', { recipes });
  }

  /**
   * Declares blob `sha256` as the concatenation of stored chunks (409 `chunk_missing` if some are
   * not stored, 422 `digest_mismatch` if they do not add up). With `wait` (seconds, at most 60)
   * the chunks may still be on their way: the server hashes the stored ones in order and waits for
   * the rest, and answers `pending: true` (HTTP 202) if not done within `wait`; call again to go on
   * waiting. A server older than `wait` answers at once, as without it.
   * @example
   * await client.chunks.putRecipe(sha256, { size, chunks: ids });
   * // declared early, while the upload goes on:
   * let r = await client.chunks.putRecipe(sha256, { size, chunks: ids }, { wait: 30 });
   * while (r.pending) r = await client.chunks.waitRecipe(sha256, size, { wait: 30 });
   */
  putRecipe(sha256: string, recipe: { size: number; chunks: string[] }, opts: { wait?: number; signal?: AbortSignal } = {}): Promise<PutRecipeResult> {
    return this.#putRecipe(sha256, recipe, opts);
  }

  /**
   * Waits on for a recipe declared with `putRecipe(…, { wait })` that answered `pending`, without
   * sending its chunk list again (up to ~80 MiB for the largest files). 404
   * `recipe_check_not_found` when no check of that blob runs on the server any more (it failed,
   * the server restarted, or the request reached another replica): declare the whole recipe again.
   * @example
   * while (r.pending) r = await client.chunks.waitRecipe(sha256, size, { wait: 30 });
   */
  waitRecipe(sha256: string, size: number, opts: { wait: number; signal?: AbortSignal }): Promise<PutRecipeResult> {
    return this.#putRecipe(sha256, { size }, opts);
  }

  /** `PUT /blobs/{sha}/recipe` with a signal (the JSON helper takes none): a whole recipe, or `{size}` to re-ask. */
  async #putRecipe(sha256: string, body: { size: number; chunks?: string[] }, opts: { wait?: number; signal?: AbortSignal }): Promise<PutRecipeResult> {
    const res = await this.http.raw('PUT', `/blobs/${sha256}/recipe`, {
      query: { wait: opts.wait },
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: opts.signal,
    });
    return (await res.json()) as PutRecipeResult;
  }

  /**
   * Opens a check of a file whose digest is not known yet (it is still being chunked), with its
   * first chunk ids (at most 10,000 per call): the server hashes those chunks in order while the
   * client goes on, so the check of a file that is mostly stored already ends soon after its
   * chunking does. 503 `recipe_checks_busy` when the server runs its limit of checks; 404 on a
   * server without open checks (declare the recipe with `putRecipe` instead).
   * @example
   * const { id } = await client.chunks.openRecipeCheck(firstIds);
   * await client.chunks.appendRecipeCheck(id, moreIds);
   * let r = await client.chunks.declareRecipeCheck(id, { sha256, size }, { wait: 30 });
   * while (r.pending) r = await client.chunks.declareRecipeCheck(id, { sha256, size }, { wait: 30 });
   */
  openRecipeCheck(ids: string[]): Promise<{ id: string; chunks: number }> {
    return this.http.json('POST', '/recipe-checks', { chunks: ids });
  }

  /** More ids of an open check, in file order (at most 10,000 per call): how many it holds, and the bytes hashed so far. */
  appendRecipeCheck(id: string, ids: string[]): Promise<{ chunks: number; hashedBytes: number }> {
    return this.http.json('POST', `/recipe-checks/${encodeURIComponent(id)}/ids`, { chunks: ids });
  }

  /**
   * Declares an open check's end: the chunks must hash to `sha256` and add up to `size`. Answers
   * as `putRecipe` with `wait` does (`pending` after `wait` seconds: call again, same arguments,
   * to wait on); 422 `digest_mismatch` if they do not.
   */
  async declareRecipeCheck(id: string, target: { sha256: string; size: number }, opts: { wait?: number; signal?: AbortSignal } = {}): Promise<PutRecipeResult> {
    const res = await this.http.raw('PUT', `/recipe-checks/${encodeURIComponent(id)}`, {
      query: { wait: opts.wait },
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(target),
      signal: opts.signal,
    });
    return (await res.json()) as PutRecipeResult;
  }

  /** Gives up an open check (a failed push); it commits nothing. */
  async cancelRecipeCheck(id: string): Promise<void> {
    await this.http.raw('DELETE', `/recipe-checks/${encodeURIComponent(id)}`);
  }

  /**
   * @example
   * const { chunks } = await client.chunks.recipe(file.sha256);
   */
  recipe(sha256: string): Promise<BlobRecipe> {
    return this.http.json('GET', `/blobs/${sha256}/recipe`);
  }

  /**
   * The recipes of several blobs in one request (at most 1,000 digests naming at most 1 GiB of
   * files; ask for larger files one by one with `recipe`), in request order: null for a blob not
   * stored, or stored whole by an older server. A server older than this call answers 404.
   * @example
   * const { recipes } = await client.chunks.recipes(files.map((f) => f.sha256));
   */
  recipes(sha256s: string[]): Promise<RecipeQueryResult> {
    return this.http.json('POST', '/blobs/recipes/query', { sha256s });
  }

  /**
   * Streams the given chunks (at most 4096 ids / 64 MiB) as frames in request order; `onFrame`
   * gets each as soon as it is complete, so memory stays at one chunk. Ids and bytes are NOT
   * verified here: callers hash the bytes before trusting them.
   *
   * With `encoding: 'zstd'` frames may come compressed (`frame.encoding`): the caller decodes
   * them (zstd, or zstd with the frame's `bases` as dictionary) before hashing. A server without
   * encodings answers raw frames (`encoding` undefined); one that refuses the field (400 for an
   * unknown key) is asked again without it, and this client asks it for raw frames from then on.
   * Resolves to the answer's body bytes (`onBody` sees them as they arrive, also when the answer
   * breaks off).
   * @example
   * await client.chunks.fetch(ids, (f) => cache.put(f.id, f.bytes));
   */
  async fetch(
    ids: string[],
    onFrame: (f: ChunkFrame) => void | Promise<void>,
    opts: AbortSignal | { signal?: AbortSignal; encoding?: 'zstd'; bases?: string[][]; onBody?: (bytes: number) => void } = {},
  ): Promise<{ bodyBytes: number }> {
    const o = opts instanceof AbortSignal ? { signal: opts } : opts;
    const encoding = this.#rawOnly ? undefined : o.encoding;
    let res: Response;
    try {
      res = await this.#post(ids, encoding, o.bases, o.signal);
    } catch (err) {
      if (!encoding || !refusesEncoding(err)) throw err;
      this.#rawOnly = true;
      res = await this.#post(ids, undefined, undefined, o.signal);
    }
    const decoder = new FrameDecoder({ encoded: (res.headers.get('content-type') ?? '').startsWith(ENCODED_FRAMES_TYPE) });
    const reader = res.body?.getReader();
    let bodyBytes = 0;
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      bodyBytes += value.byteLength;
      o.onBody?.(value.byteLength);
      for (const f of decoder.push(value)) await onFrame(f);
    }
    decoder.end();
    return { bodyBytes };
  }

  #post(ids: string[], encoding: 'zstd' | undefined, bases: string[][] | undefined, signal: AbortSignal | undefined): Promise<Response> {
    const req: { ids: string[]; encoding?: 'zstd'; bases?: string[][] } = { ids };
    if (encoding) req.encoding = encoding;
    if (encoding && bases?.some((b) => b.length > 0)) req.bases = bases;
    return this.http.raw('POST', '/chunks/fetch', {
      body: JSON.stringify(req),
      headers: { 'content-type': 'application/json', accept: encoding ? `${ENCODED_FRAMES_TYPE}, application/octet-stream` : 'application/octet-stream' },
      signal,
    });
  }
}

/**
 * The 400 a server older than compressed fetch answers gives for `encoding`: its body schema is
 * strict, so the unknown key fails validation (`validation_failed`, an `unrecognized_keys` issue
 * naming "encoding"). Any other 400 is a real error and is not retried.
 */
function refusesEncoding(err: unknown): boolean {
  if (!(err instanceof StewardApiError) || err.status !== 400 || err.code !== 'validation_failed') return false;
  const issues = (err.details as { issues?: { code?: unknown; message?: unknown }[] } | undefined)?.issues;
  return Array.isArray(issues) && issues.some((i) => i.code === 'unrecognized_keys' && typeof i.message === 'string' && i.message.includes('"encoding"'));
}
