import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `packages/server/native` exports (built by `npm install`; optional). */
export interface NativeAddon {
  /** True where the C library is glibc (malloc_trim does something). */
  supported: boolean;
  trim(): boolean;
  /** A Buffer of `size` bytes at an address that is a multiple of `alignment` (for O_DIRECT). Absent in builds before it. */
  alignedBuffer?(size: number, alignment: number): Buffer;
}

/** The addon found from `from` up, or null where it is not built (no compiler at install) or was built for another Node. */
export function loadNativeAddon(from = dirname(fileURLToPath(import.meta.url))): NativeAddon | null {
  // Sources run from packages/server/src, the bundle from packages/server/dist: the addon sits beside both.
  for (let dir = from, i = 0; i < 3; i++, dir = dirname(dir)) {
    const file = join(dir, 'native', 'build', 'Release', 'steward_native.node');
    if (!existsSync(file)) continue;
    try {
      return createRequire(import.meta.url)(file) as NativeAddon;
    } catch {
      return null; // built for another Node ABI or platform: run without it
    }
  }
  return null;
}

let loaded: NativeAddon | null | undefined;

/** The process's addon (loaded once), or null without it. */
export function nativeAddon(): NativeAddon | null {
  if (loaded === undefined) loaded = loadNativeAddon();
  return loaded;
}
