import { DigestMismatchError, StewardError, canonicalJson } from '@steward/core';
import type { StewardClient } from '../client.ts';
import type { AgentStorage, Installed, Installer } from './types.ts';

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (bytes: Uint8Array) => hex(await crypto.subtle.digest('SHA-256', bytes as BufferSource));

/**
 * Installer for agents without a filesystem (browsers, React Native with a WebCrypto polyfill):
 * files are fetched whole, checked against the signed manifest with WebCrypto SHA-256 and kept in
 * `storage` by digest (so identical files across versions are stored once). The manifest
 * signature is checked with WebCrypto Ed25519 against the server key pinned in `storage` on
 * first use; a runtime without Ed25519 refuses to install rather than skip the check.
 */
export function createStorageInstaller(client: StewardClient, storage: AgentStorage): Installer {
  const enc = new TextEncoder();
  let keyP: Promise<CryptoKey> | undefined;
  const serverKey = () =>
    (keyP ??= (async () => {
      const k = await client.keys();
      const pinKey = `steward-key:${client.url}`;
      const pinned = await storage.get(pinKey);
      const pem = k.publicKey.trim();
      if (pinned && new TextDecoder().decode(pinned) !== pem) {
        throw new StewardError('key_changed', `${client.url} presents a different signing key than the one pinned`, 0, { keyId: k.keyId });
      }
      if (!pinned) await storage.put(pinKey, enc.encode(pem));
      const der = Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\s/g, '')), (c) => c.charCodeAt(0));
      return crypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
    })());

  return {
    async install(model, version): Promise<Installed> {
      const v = await client.versions.get(model, version);
      const manifestText = canonicalJson(v.manifest);
      const sig = Uint8Array.from(atob(v.signature ?? ''), (c) => c.charCodeAt(0));
      const ok = await crypto.subtle.verify({ name: 'Ed25519' }, await serverKey(), sig, enc.encode(manifestText));
      if (!ok) throw new StewardError('signature_invalid', `${model}@${version}: the manifest signature does not verify`, 0);
      const files = v.manifest.files;
      for (const f of files) {
        if (await storage.get(`sha256:${f.sha256}`)) continue;
        const dl = await client.versions.file(model, version, f.path);
        const bytes = new Uint8Array(await new Response(dl.body).arrayBuffer());
        const got = await sha256(bytes);
        if (got !== f.sha256) throw new DigestMismatchError(`${f.path}: downloaded bytes hash to ${got}, expected ${f.sha256}`, { path: f.path });
        await storage.put(`sha256:${f.sha256}`, bytes);
      }
      const byPath = new Map(files.map((f) => [f.path, f.sha256]));
      return {
        model,
        version,
        digest: await sha256(enc.encode(manifestText)),
        files: {
          paths: files.map((f) => f.path),
          async read(path) {
            const d = byPath.get(path);
            const bytes = d ? await storage.get(`sha256:${d}`) : undefined;
            if (!bytes) throw new StewardError('file_missing', `${model}@${version}: ${path} is not in storage`, 0);
            return bytes;
          },
        },
      };
    },
  };
}

/** A Map-backed AgentStorage (tests; short-lived browser sessions). */
export function memoryStorage(): AgentStorage & { size(): number } {
  const m = new Map<string, Uint8Array>();
  return { get: async (k) => m.get(k), put: async (k, b) => void m.set(k, b), size: () => m.size };
}
