import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError } from '@steward/core';
import type { StewardClient } from '../client.ts';
import type { FileEntry, Version } from '../types.ts';
import { hashFile } from './hash-file.ts';
import { stewardHome, trustedKey } from './key-pin.ts';
import type { TransferProgress } from './push.ts';
import { safeJoin } from './safe-path.ts';
import { verifyVersionSignature } from './signature.ts';

export interface PullOptions {
  model: string;
  /** Semver, `latest` or a channel name. */
  ref: string;
  outDir: string;
  /** Verify the manifest signature against the pinned server key (default true). Digests are always checked. */
  verify?: boolean;
  /** Where the key pins live; default `STEWARD_HOME` or `~/.steward`. */
  home?: string;
  onProgress?: (p: TransferProgress) => void;
}

export interface PullResult {
  version: Version;
  downloaded: number;
  /** Files already on disk with the right digest. */
  skipped: number;
  bytes: number;
}

/**
 * Downloads a version into `outDir`. With `verify` (default) the manifest signature is checked
 * against the server key pinned on first use, and files come from the signed manifest. Each file
 * is streamed into a temp file beside its target while hashed, checked against the manifest
 * digest and size, then renamed into place, so a target is either the right bytes or untouched.
 *
 * @example
 * const { version } = await pullVersion(client, { model: 'fraud', ref: 'production', outDir: './fraud' });
 */
export async function pullVersion(client: StewardClient, opts: PullOptions): Promise<PullResult> {
  const version = await client.versions.get(opts.model, opts.ref);
  let files: FileEntry[] = version.files;
  if (opts.verify !== false) {
    verifyVersionSignature(version, await trustedKey(client, opts.home ?? stewardHome()));
    files = version.manifest.files;
  }
  const targets = files.map((f) => ({ file: f, target: safeJoin(opts.outDir, f.path) })); // refuse before writing anything
  const total = files.reduce((s, f) => s + f.size, 0);
  const result: PullResult = { version, downloaded: 0, skipped: 0, bytes: 0 };
  let done = 0;
  for (const { file, target } of targets) {
    if (await alreadyThere(target, file)) result.skipped++;
    else {
      await downloadTo(client, version, file, target, (n) =>
        opts.onProgress?.({ phase: 'download', path: file.path, bytes: done + n, total }),
      );
      result.downloaded++;
      result.bytes += file.size;
    }
    done += file.size;
    opts.onProgress?.({ phase: 'download', path: file.path, bytes: done, total });
  }
  return result;
}

async function alreadyThere(target: string, file: FileEntry): Promise<boolean> {
  const st = await stat(target).catch(() => null);
  if (!st?.isFile() || st.size !== file.size) return false;
  return (await hashFile(target)).sha256 === file.sha256;
}

async function downloadTo(
  client: StewardClient,
  version: Version,
  file: FileEntry,
  target: string,
  onBytes: (n: number) => void,
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.steward-part`);
  try {
    const dl = await client.versions.file(version.model, version.version, file.path);
    const hash = createHash('sha256');
    let size = 0;
    const body = dl.body;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      const reader = body?.getReader();
      while (reader) {
        const { done, value } = await reader.read();
        if (done) return;
        hash.update(value);
        size += value.byteLength;
        onBytes(size);
        yield value;
      }
    }
    // pipeline handles backpressure and closes the file on error.
    await pipeline(chunks(), createWriteStream(tmp, { flags: 'wx' }));
    const sha256 = hash.digest('hex');
    if (sha256 !== file.sha256 || size !== file.size) {
      throw new DigestMismatchError(`${file.path}: downloaded ${size} bytes hashing to ${sha256}, expected ${file.size} bytes ${file.sha256}`, {
        path: file.path,
        expected: file.sha256,
        actual: sha256,
      });
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
