import { createPublicKey, verify } from 'node:crypto';
import { StewardError } from '@steward/core';
import { canonicalJson } from '@steward/core';
import type { SigningKey, Version } from '../types.ts';

/**
 * Checks that `version.signature` is a valid Ed25519 signature by `key` over
 * `canonicalJson(version.manifest)`, and that the manifest names this model and version.
 * Throws StewardError `signature_invalid` otherwise.
 *
 * @example
 * verifyVersionSignature(version, await trustedKey(client, stewardHome()));
 */
export function verifyVersionSignature(version: Version, key: SigningKey): void {
  const fail = (why: string): never => {
    throw new StewardError('signature_invalid', `${version.model}@${version.version}: ${why}`, 0, { keyId: version.keyId });
  };
  const m = version.manifest;
  if (!m || typeof m !== 'object' || !Array.isArray(m.files)) fail('the version has no signed manifest');
  if (version.keyId !== key.keyId) fail(`signed with key ${version.keyId}, but the trusted key is ${key.keyId}`);
  const ok = verify(
    null, // Ed25519 takes no digest name: it hashes internally
    Buffer.from(canonicalJson(m), 'utf8'),
    createPublicKey(key.publicKey),
    Buffer.from(version.signature ?? '', 'base64'),
  );
  if (!ok) fail('the manifest signature does not verify: the version was altered or signed by another key');
  if (m.model !== version.model || m.version !== version.version) {
    fail(`the signed manifest is for ${String(m.model)}@${String(m.version)}`);
  }
}
