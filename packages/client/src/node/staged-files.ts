import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Files written beside their targets under temp names and renamed into place together once every
 * one is written and verified, so a pull that fails leaves each target as it was (a kill during
 * the renames themselves can still leave some renamed). Temp names are
 * `.<name>.<pid>-<random>.steward-part`: the first `add` into a directory removes those there
 * left by a process that is no longer running (a pull killed mid-way), so they do not pile up.
 *
 * @example
 * const staged = new StagedFiles();
 * try {
 *   await writeVerified(await staged.add('out/model.onnx'));
 *   await staged.commit();
 * } catch (err) {
 *   await staged.discard();
 *   throw err;
 * }
 */
export class StagedFiles {
  readonly #files: { tmp: string; target: string }[] = [];
  /** Directories made here, each from the first one mkdir made down to the target's. */
  readonly #made: { top: string; dir: string }[] = [];
  /** Per directory: made, or swept of orphans, once. */
  readonly #ready = new Map<string, Promise<void>>();

  /** A temp path beside `target` (its directory made) for the caller to create. */
  async add(target: string): Promise<string> {
    // Each directory is made (or swept) once per pull, not once per file in it.
    const dir = dirname(target);
    let ready = this.#ready.get(dir);
    if (!ready) {
      ready = (async () => {
        const top = await mkdir(dir, { recursive: true });
        if (top) this.#made.push({ top, dir });
        else await removeOrphans(dir);
      })();
      this.#ready.set(dir, ready);
    }
    await ready;
    const tmp = join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}${STAGED_SUFFIX}`);
    this.#files.push({ tmp, target });
    return tmp;
  }

  /** Renames every temp file onto its target, in the order added. */
  async commit(): Promise<void> {
    while (this.#files.length > 0) {
      const { tmp, target } = this.#files[0]!;
      await rename(tmp, target);
      this.#files.shift();
    }
  }

  /** Removes the temp files not yet renamed, and the directories made for them if left empty. */
  async discard(): Promise<void> {
    await Promise.all(this.#files.splice(0).map((f) => rm(f.tmp, { force: true })));
    for (const { top, dir } of this.#made.splice(0).reverse()) {
      for (let d = dir; ; d = dirname(d)) {
        if (!(await rmdir(d).then(() => true, () => false))) break; // not empty (or gone): stop climbing
        if (d === top) break;
      }
    }
  }
}

const STAGED_SUFFIX = '.steward-part';

/** Whether a file name is one of StagedFiles' temp files (a pull's, running or killed). */
export const isStagedTemp = (name: string): boolean => name.endsWith(STAGED_SUFFIX);

/** Temp files in `dir` whose writer process has exited (killed, say). */
async function removeOrphans(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^\..+\.(\d+)-[0-9a-f]{8}\.steward-part$/.exec(name)?.[1]);
    if (Number.isSafeInteger(pid) && pid > 0 && !alive(pid)) await rm(join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
