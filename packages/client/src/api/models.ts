import { seg, type HttpTransport } from '../http.ts';
import type { Model, ModelCreate, ModelUpdate, Page } from '../types.ts';

export interface ModelListQuery {
  /** Include archived models. */
  archived?: boolean;
  limit?: number;
  cursor?: string;
}

/** `/models`: create, list, read and edit models. */
export class ModelsApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * @example
   * await client.models.create({ name: 'acme/fraud', description: 'card fraud', tags: { team: 'risk' } });
   */
  create(input: ModelCreate): Promise<Model> {
    return this.http.json('POST', '/models', input);
  }

  /** One page; see `paginate` to walk all of them. */
  list(query: ModelListQuery = {}): Promise<Page<Model>> {
    return this.http.json('GET', '/models', undefined, { ...query });
  }

  get(name: string): Promise<Model> {
    return this.http.json('GET', `/models/${seg(name)}`);
  }

  /**
   * Tags merge; a `null` value removes that key.
   * @example
   * await client.models.update('fraud', { tags: { owner: 'ana', stale: null } });
   */
  update(name: string, patch: ModelUpdate): Promise<Model> {
    return this.http.json('PATCH', `/models/${seg(name)}`, patch);
  }
}
