import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gauge, type Registry } from 'prom-client';

/**
 * Hands freed heap memory back to the system once bulk transfers go quiet (glibc's `malloc_trim`,
 * through the small addon in `packages/server/native`).
 *
 * Why: Node's HTTP parser copies every request body piece (≤ 64 KiB) into a fresh allocation, and
 * pack reads and socket writes make more. Freed, they leave whole free pages inside glibc's heap,
 * which `free` never returns (it trims only the heap's top, and the threshold for that rises to
 * 16 MiB once a large buffer has been freed). After a 4 GiB push the server held ~50 MB of such
 * pages, and a pull right after started from there: its peak was 275–290 MiB against a 300 MiB
 * target; trimmed first, 217 MiB (bench/README.md, session 17).
 *
 * Transfers report their bytes (`noteTransfer`); once `afterBytes` have gone through and nothing
 * more has for `quietMs`, one trim runs (~10 ms for 200 MB of free pages, on the event loop,
 * which is idle then). Off until `startServer` turns it on, and where the addon is not built.
 */
export interface TrimStats {
  /** Trims run since start. */
  trims: number;
  /** Resident bytes the trims gave back, summed (RSS before minus after each). */
  releasedBytes: number;
}

export class TransferTrim {
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #stats: TrimStats = { trims: 0, releasedBytes: 0 };

  constructor(
    private readonly trim: () => void,
    private readonly afterBytes: number,
    private readonly quietMs = 200,
    private readonly rss: () => number = () => process.memoryUsage.rss(),
  ) {}

  note(bytes: number): void {
    this.#pending += bytes;
    if (this.#pending < this.afterBytes) return;
    if (this.#timer) this.#timer.refresh();
    else {
      this.#timer = setTimeout(() => this.#run(), this.quietMs);
      this.#timer.unref();
    }
  }

  stats(): TrimStats {
    return { ...this.#stats };
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #run(): void {
    this.#timer = undefined;
    this.#pending = 0;
    const before = this.rss();
    this.trim();
    this.#stats.trims++;
    this.#stats.releasedBytes += Math.max(0, before - this.rss());
  }
}

interface NativeAddon {
  supported: boolean;
  trim(): boolean;
}

/** The addon's `trim`, or null where it is not built or the C library is not glibc. */
export function loadNativeTrim(from = dirname(fileURLToPath(import.meta.url))): (() => boolean) | null {
  // Sources run from packages/server/src, the bundle from packages/server/dist: the addon sits beside both.
  for (let dir = from, i = 0; i < 3; i++, dir = dirname(dir)) {
    const file = join(dir, 'native', 'build', 'Release', 'steward_native.node');
    if (!existsSync(file)) continue;
    try {
      const addon = createRequire(import.meta.url)(file) as NativeAddon;
      return addon.supported ? () => addon.trim() : null;
    } catch {
      return null; // built for another Node ABI or platform: run without it
    }
  }
  return null;
}

let current: TransferTrim | null = null;

/** The process's trimmer (one: the heap is the process's), or null while off. */
export function transferTrim(): TransferTrim | null {
  return current;
}

/**
 * Turns trimming on after `afterMiB` MiB of transfers (0: off), replacing any trimmer running.
 * Returns the trimmer, or null when off: also where the addon is missing, which only costs memory.
 */
export function startTransferTrim(afterMiB: number, trim: (() => boolean) | null = loadNativeTrim()): TransferTrim | null {
  stopTransferTrim();
  if (!(afterMiB > 0) || !trim) return null;
  current = new TransferTrim(trim, afterMiB * 1024 * 1024);
  return current;
}

/** Stops `which` if it still runs (a server closing leaves a later server's trimmer alone), or whichever runs. */
export function stopTransferTrim(which?: TransferTrim | null): void {
  if (which !== undefined && which !== current) return;
  current?.close();
  current = null;
}

/** Called by whatever moves request or answer bytes in bulk; costs nothing while trimming is off. */
export function noteTransfer(bytes: number): void {
  current?.note(bytes);
}

/** Exposes the trims at /metrics, so an operator can see them run and what they give back. */
export function watchMemoryTrim(registry: Registry): void {
  const gauge = (name: string, help: string, key: keyof TrimStats) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(current?.stats()[key] ?? 0); } });
  gauge('steward_memory_trims', 'Times freed heap memory was handed back to the system after transfers went quiet (STEWARD_MEMORY_TRIM_MIB)', 'trims');
  gauge('steward_memory_trim_released_bytes', 'Resident bytes those trims gave back, summed', 'releasedBytes');
}
