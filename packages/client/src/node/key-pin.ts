import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StewardError } from '@steward/core';
import type { StewardClient } from '../client.ts';
import type { SigningKey } from '../types.ts';
import { writeFileAtomic } from './write-atomic.ts';

/** `STEWARD_HOME`, default `~/.steward`: where pinned keys live. */
export function stewardHome(env: Record<string, string | undefined> = process.env): string {
  return env.STEWARD_HOME || join(homedir(), '.steward');
}

interface PinnedKey {
  keyId: string;
  publicKey: string;
  pinnedAt: string;
}

const FILE = 'known-keys.json';

/**
 * Fetches the server's signing key and pins it on first use (trust on first use, like SSH
 * known_hosts) in `<home>/known-keys.json`, keyed by server URL. A later, different key is refused:
 * it means the key was rotated or someone is impersonating the server.
 *
 * @example
 * const key = await trustedKey(client, stewardHome());
 */
export async function trustedKey(client: StewardClient, home: string): Promise<SigningKey> {
  const key = await client.keys();
  return serialized(() => checkOrPin(client.url, key, home));
}

async function checkOrPin(url: string, key: SigningKey, home: string): Promise<SigningKey> {
  const file = join(home, FILE);
  const pins = await readPins(file);
  const pinned = pins[url];
  if (pinned) {
    if (pinned.publicKey.trim() !== key.publicKey.trim()) {
      throw new StewardError(
        'key_changed',
        `${url} now presents signing key ${key.keyId}, but key ${pinned.keyId} was pinned in ${file}; if the server's key was rotated on purpose, delete that entry`,
        0,
        { url, pinnedKeyId: pinned.keyId, keyId: key.keyId, file },
      );
    }
    return { keyId: pinned.keyId, publicKey: pinned.publicKey, algorithm: 'ed25519' };
  }
  pins[url] = { keyId: key.keyId, publicKey: key.publicKey, pinnedAt: new Date().toISOString() };
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(pins, null, 2)}\n`, { mode: 0o600 }); // a crash never leaves a half-written pin file
  return key;
}

/** Pin checks in this process run one at a time, each re-reading the file, so no pin is lost. */
let queue: Promise<unknown> = Promise.resolve();

function serialized<T>(task: () => Promise<T>): Promise<T> {
  const next = queue.then(task, task);
  queue = next.catch(() => undefined);
  return next;
}

async function readPins(file: string): Promise<Record<string, PinnedKey>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  try {
    return JSON.parse(text) as Record<string, PinnedKey>;
  } catch {
    throw new StewardError('key_store_corrupt', `cannot read pinned keys in ${file}: not valid JSON`, 0, { file });
  }
}
