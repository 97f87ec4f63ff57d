import { seg, type HttpTransport } from '../http.ts';
import type { CreatedToken, Role, TokenInfo } from '../types.ts';

/** API tokens (admin only). */
export class TokensApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * The secret is in the answer only this once.
   * @example
   * const { token } = await client.tokens.create({ name: 'ci', role: 'publisher' });
   */
  create(input: { name: string; role: Role }): Promise<CreatedToken> {
    return this.http.json('POST', '/tokens', input);
  }

  async list(): Promise<TokenInfo[]> {
    const res = await this.http.json<{ items: TokenInfo[] }>('GET', '/tokens');
    return res.items;
  }

  async revoke(id: string): Promise<void> {
    await this.http.json('DELETE', `/tokens/${seg(id)}`);
  }
}
