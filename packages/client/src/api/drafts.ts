import { seg, type HttpTransport } from '../http.ts';
import type { Draft, FileEntry, Version, VersionInput } from '../types.ts';

/** Draft versions: the staging area of a push (create → attach files → commit, or delete). */
export class DraftsApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Throws StewardApiError `version_exists` (409) if the version is already committed.
   * @example
   * const draft = await client.drafts.create('fraud', { version: '1.2.0', metrics: { f1: 0.93 } });
   */
  create(model: string, input: VersionInput): Promise<Draft> {
    return this.http.json('POST', `/models/${seg(model)}/drafts`, input);
  }

  /**
   * Adds or replaces files by path. Throws `blob_missing` (409, `details.missing`) if a blob is not stored yet.
   * @example
   * await client.drafts.attach('fraud', draft.id, [{ path: 'model.onnx', sha256, size }]);
   */
  attach(model: string, draftId: string, files: FileEntry[]): Promise<Draft> {
    return this.http.json('PUT', `/models/${seg(model)}/drafts/${seg(draftId)}/files`, { files });
  }

  /** Makes the draft an immutable, signed version. */
  commit(model: string, draftId: string): Promise<Version> {
    return this.http.json('POST', `/models/${seg(model)}/drafts/${seg(draftId)}/commit`);
  }

  async delete(model: string, draftId: string): Promise<void> {
    await this.http.json('DELETE', `/models/${seg(model)}/drafts/${seg(draftId)}`);
  }
}
