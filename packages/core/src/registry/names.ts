import { InvalidInputError } from '../errors.ts';

const SEGMENT = /^[a-z0-9][a-z0-9._-]*$/;
const MAX_NAME = 128;

/** Model names are `name` or `org/name`; each segment `[a-z0-9][a-z0-9._-]*`. */
export function assertModelName(name: string): void {
  const parts = name.split('/');
  const ok = name.length <= MAX_NAME && parts.length <= 2 && parts.every((p) => SEGMENT.test(p));
  if (!ok) {
    throw new InvalidInputError(
      `invalid model name "${name}": use name or org/name, lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most ${MAX_NAME} characters`,
      { field: 'name', value: name },
      'invalid_model_name',
    );
  }
}

const CHANNEL = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Channel names: one segment; `latest` is reserved because `model@latest` means the highest version. */
export function assertChannelName(name: string): void {
  if (!CHANNEL.test(name) || name === 'latest') {
    throw new InvalidInputError(
      `invalid channel name "${name}": use lowercase letters, digits, '.', '_' and '-' (not "latest"), at most 64 characters`,
      { field: 'channel', value: name },
      'invalid_channel_name',
    );
  }
}

const MAX_PATH = 1024;
/**
 * A file path inside a version: relative, `/`-separated, no `.`/`..`/empty segments, no
 * backslash, NUL or control characters. These rules keep a pull from ever writing outside its
 * target directory on any OS.
 */
export function assertFilePath(path: string): void {
  const fail = (why: string): never => {
    throw new InvalidInputError(`invalid file path "${path}": ${why}`, { field: 'path', value: path }, 'invalid_path');
  };
  if (path.length === 0 || path.length > MAX_PATH) fail(`must be 1 to ${MAX_PATH} characters`);
  if (/[\u0000-\u001f\u007f]/.test(path)) fail('control characters and NUL are not allowed');
  if (path.includes('\\')) fail('use / as the separator, not \\');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) fail('must be relative');
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') fail("empty, '.' and '..' segments are not allowed");
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
export function assertSha256(value: string, field = 'sha256'): void {
  if (!HEX64.test(value)) {
    throw new InvalidInputError(`invalid ${field} "${value}": expected 64 lowercase hex characters`, { field, value }, 'invalid_digest');
  }
}
