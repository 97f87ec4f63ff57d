import type { StewardClient } from '../client.ts';

/** Ids per open or append request (the server's limit). */
const IDS_PER_REQUEST = 10_000;

/**
 * A push's open recipe check of one file (docs/storage.md, "Open recipe checks"): the file's chunk
 * ids go to the server as the chunker finds them, so the server hashes the file's stored chunks
 * (the unchanged bulk of a fine-tune) while the rest is still being chunked, instead of after.
 * One request in flight at a time; ids found meanwhile go in the next one.
 *
 * Only ever a head start: any failure (a server without open checks, its limit of checks reached,
 * a check lost to a restart or another replica, a network error) ends it quietly, and `end`
 * answers null: the push then declares the recipe the usual way once the file is chunked.
 */
export class OpenRecipeCheck {
  readonly #client: StewardClient;
  #id: string | null = null;
  #queue: string[] = [];
  #sending: Promise<void> | null = null;
  #failed = false;
  #ended = false;

  constructor(client: StewardClient) {
    this.#client = client;
  }

  /** More of the file's chunk ids, in file order. */
  add(ids: readonly string[]): void {
    if (this.#failed || this.#ended) return;
    for (const id of ids) this.#queue.push(id);
    this.#pump();
  }

  #pump(): void {
    if (this.#sending || this.#failed || this.#queue.length === 0) return;
    const ids = this.#queue.splice(0, IDS_PER_REQUEST);
    this.#sending = (async () => {
      try {
        if (this.#id === null) this.#id = (await this.#client.chunks.openRecipeCheck(ids)).id;
        else await this.#client.chunks.appendRecipeCheck(this.#id, ids);
      } catch {
        this.#fail();
      } finally {
        this.#sending = null;
      }
      this.#pump();
    })();
  }

  /** Resolves once every id added so far was sent (or the check failed). */
  async #drained(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  /**
   * No more ids: declares the digest and size the client computed, and waits for the server's
   * check (`wait` seconds per request, asking again while pending). Resolves whether the blob was
   * created, or null if the check failed on the way (declare the recipe the usual way).
   * An abort of `signal` rejects.
   */
  async end(target: { sha256: string; size: number }, wait: number, signal?: AbortSignal): Promise<boolean | null> {
    this.#ended = true;
    await this.#drained();
    if (this.#failed || this.#id === null) return null;
    try {
      let res = await this.#client.chunks.declareRecipeCheck(this.#id, target, { wait, signal });
      while (res.pending) res = await this.#client.chunks.declareRecipeCheck(this.#id, target, { wait, signal });
      return res.created;
    } catch (err) {
      if (signal?.aborted) throw err;
      this.#fail();
      return null;
    }
  }

  /** Gives the check up (the push failed, or another path of the same content declares it). */
  async cancel(): Promise<void> {
    this.#ended = true;
    await this.#drained();
    this.#fail();
  }

  #fail(): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#queue = [];
    // Best effort: an abandoned check also expires on the server after its idle time.
    if (this.#id !== null) void this.#client.chunks.cancelRecipeCheck(this.#id).catch(() => undefined);
  }
}
