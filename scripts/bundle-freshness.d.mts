/** True when `bundle` exists and no file under `sourceDirs` (or `files`) changed after it was built. */
export function bundleIsFresh(bundle: string, sourceDirs: readonly string[], files?: readonly string[]): boolean;
