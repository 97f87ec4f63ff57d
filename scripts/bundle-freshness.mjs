// Whether a bundle (scripts/bundle-sources.mjs) still matches the sources: it must be newer
// than every file under the source trees it was built from. Statting them costs a few ms; a stale
// bundle would silently run old code after an edit, so the check runs on every start.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestUnder(dir, limit) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (newestUnder(p, limit)) return true;
    } else if (statSync(p).mtimeMs > limit) {
      return true;
    }
  }
  return false;
}

/** True when `bundle` exists and no file under `sourceDirs` (or `files`) changed after it was built. */
export function bundleIsFresh(bundle, sourceDirs, files = []) {
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return false;
  }
  try {
    for (const f of files) if (statSync(f).mtimeMs > built) return false;
    return !sourceDirs.some((d) => newestUnder(d, built));
  } catch {
    return false;
  }
}
