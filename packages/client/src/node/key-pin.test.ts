import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StewardClient } from '../client.ts';
import { trustedKey } from './key-pin.ts';

function fakeClient(url: string, publicKey: string): StewardClient {
  return { url, keys: async () => ({ keyId: `k-${publicKey}`, publicKey }) } as unknown as StewardClient;
}

describe('trustedKey', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'steward-pin-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('keeps every pin when many servers are pinned at once from one process', async () => {
    const urls = Array.from({ length: 20 }, (_, i) => `http://server-${i}.test`);
    await Promise.all(urls.map((u, i) => trustedKey(fakeClient(u, `pk${i}`), home)));
    const pins = JSON.parse(await readFile(join(home, 'known-keys.json'), 'utf8')) as Record<string, { publicKey: string }>;
    expect(Object.keys(pins).sort()).toEqual([...urls].sort());
    expect(pins['http://server-7.test']?.publicKey).toBe('pk7');
    expect((await readdir(home)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a different key for a pinned server, even when both arrive together', async () => {
    const results = await Promise.allSettled([
      trustedKey(fakeClient('http://a.test', 'first'), home),
      trustedKey(fakeClient('http://a.test', 'second'), home),
    ]);
    expect(results[0]?.status).toBe('fulfilled');
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: 'key_changed' } });
  });
});
