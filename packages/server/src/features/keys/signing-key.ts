import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SigningKey {
  keyId: string;
  publicKeyPem: string;
  /** Base64 Ed25519 signature over bytes. */
  sign(bytes: Uint8Array): string;
  verify(bytes: Uint8Array, signatureB64: string): boolean;
}

function fromPrivate(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    keyId: createHash('sha256').update(der).digest('hex').slice(0, 16),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (bytes) => sign(null, bytes, privateKey).toString('base64'),
    verify: (bytes, sig) => verify(null, bytes, publicKey, Buffer.from(sig, 'base64')),
  };
}

/**
 * The server's Ed25519 key lives in `<dataDir>/keys/server-ed25519.pem` (mode 0600). Created at
 * first start; written to a temp file and hard-linked into place so two servers starting at once
 * on one data dir agree on a single key.
 */
export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const dir = join(dataDir, 'keys');
  const file = join(dir, 'server-ed25519.pem');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
    chmodSync(file, 0o600);
  }
  return fromPrivate(createPrivateKey(readFileSync(file)));
}
