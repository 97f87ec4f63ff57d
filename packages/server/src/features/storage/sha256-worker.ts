import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { judgeChunk, STORE_LEVEL, STORE_RULES, storeCompressorOf, type Compression } from './chunk-codec.ts';

/** How a stored chunk's compression travels back from the worker (index into this list). */
const CODES: Compression[] = ['zstd', 'raw-low-gain', 'raw-incompressible'];

/**
 * The worker: one SHA-256 per job, fed whole buffers that are transferred (not copied) to it and
 * back; and slices of an upload's shared body, hashed where they are and, when asked, judged and
 * zstd'd for storage by the same judgeChunk as the event loop's (its source text, below), into a
 * shared output buffer. Plain CommonJS evaluated from this string, so it runs the same from
 * sources (tsx), a bundle or tests, and starts without the parent's loaders (execArgv: []).
 */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const __name = (f) => f; // esbuild's keepNames helper, which judgeChunk's compiled text may call
const judgeChunk = ${judgeChunk.toString()};
const CODES = ${JSON.stringify(CODES)};
const storeCompressorOf = ${storeCompressorOf.toString()};
let zstd; // undefined: not loaded yet; null: could not be loaded (the event loop encodes then)
function storeCompressor(binding, rules) {
  if (zstd !== undefined) return zstd;
  try {
    zstd = { compress: storeCompressorOf(require(binding), ${STORE_LEVEL}), probe: Buffer.allocUnsafeSlow(rules.slice * rules.slices) };
  } catch {
    zstd = null;
  }
  return zstd;
}
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let h = hashes.get(m.id);
    if (!h) hashes.set(m.id, (h = createHash('sha256')));
    h.update(new Uint8Array(m.buf, 0, m.length));
    parentPort.postMessage({ id: m.id, op: 'back', buf: m.buf }, [m.buf]);
  } else if (m.op === 'digest') {
    const h = hashes.get(m.id) || createHash('sha256');
    hashes.delete(m.id);
    parentPort.postMessage({ id: m.id, op: 'digest', hex: h.digest('hex') });
  } else if (m.op === 'drop') {
    hashes.delete(m.id);
  } else if (m.op === 'slices') {
    const bytes = new Uint8Array(m.sab);
    const hexes = [];
    const z = m.encode ? storeCompressor(m.encode.binding, m.encode.rules) : null;
    // Per slice [code, offset, length]: where its zstd bytes sit in the output (length 0: raw).
    const enc = z ? new Float64Array(m.at.length / 2 * 3) : null;
    const out = z ? new Uint8Array(m.encode.out) : null;
    let used = 0;
    for (let i = 0, k = 0; i < m.at.length; i += 2, k += 3) {
      const slice = bytes.subarray(m.at[i], m.at[i] + m.at[i + 1]);
      hexes.push(createHash('sha256').update(slice).digest('hex'));
      if (!z) continue;
      const j = judgeChunk(slice, m.encode.rules, z.compress, z.probe);
      enc[k] = CODES.indexOf(j.compression);
      if (j.z && used + j.z.length <= out.length) {
        out.set(j.z, used);
        enc[k + 1] = used;
        enc[k + 2] = j.z.length;
        used += j.z.length;
      } else if (j.z) {
        enc[k] = -1; // no room left (cannot happen: kept output is under 90 % of its slice); the event loop encodes it
      }
    }
    parentPort.postMessage({ id: m.id, op: 'slices', hexes, enc });
  }
});
`;

type Message = { id: number; op: 'back'; buf: ArrayBuffer } | { id: number; op: 'digest'; hex: string } | { id: number; op: 'slices'; hexes: string[]; enc: Float64Array | null };

interface JobHooks {
  back?(buf: ArrayBuffer): void;
  digest?(hex: string): void;
  slices?(hexes: string[], enc: Float64Array | null): void;
  fail(err: Error): void;
}

let worker: Worker | null = null;
const jobs = new Map<number, JobHooks>();
let lastId = 0;

function theWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(SOURCE, { eval: true, execArgv: [] });
  w.unref(); // referenced only while a job runs (see track)
  w.on('message', (m: Message) => {
    const j = jobs.get(m.id);
    // A buffer coming back to a closed job is left to GC.
    if (m.op === 'back') j?.back?.(m.buf);
    else if (m.op === 'digest') j?.digest?.(m.hex);
    else j?.slices?.(m.hexes, m.enc);
  });
  const fail = (err: Error) => {
    if (retired.has(w)) return; // ended for idleness, with no job; the jobs now belong to a newer worker
    if (worker === w) worker = null;
    for (const j of jobs.values()) j.fail(err);
    jobs.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the SHA-256 worker exited (code ${code})`)));
  worker = w;
  return w;
}

/**
 * Starts the worker ahead of its first job (a push asking which chunks are missing uploads or
 * declares a recipe next): a thread start took 30–120 ms that the push's first batch waited for.
 * Idle, it exits as usual.
 */
export function warmSha256Worker(): void {
  if (worker) return;
  theWorker();
  restartIdleClock();
}

/** Whether the worker thread is running now (tests). */
export const sha256WorkerRunning = (): boolean => worker !== null;

/** An idle worker exits after this long (its isolate holds ~5–10 MiB); the next job starts a new one (~30 ms). */
const IDLE_EXIT_MS = 10_000;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
const retired = new WeakSet<Worker>();

function track(id: number, hooks: JobHooks | null): void {
  if (hooks) jobs.set(id, hooks);
  else jobs.delete(id);
  if (jobs.size === 1 && hooks) worker?.ref();
  restartIdleClock();
}

/** Stops the idle countdown, and starts it again if the worker has no job. */
function restartIdleClock(): void {
  clearTimeout(idleTimer);
  idleTimer = undefined;
  if (jobs.size === 0 && worker) {
    worker.unref();
    const idle = worker;
    idleTimer = setTimeout(() => {
      if (worker !== idle || jobs.size > 0) return;
      worker = null;
      retired.add(idle);
      void idle.terminate();
    }, IDLE_EXIT_MS);
    idleTimer.unref();
  }
}

/**
 * One SHA-256 computed on a worker thread from buffers of `size` bytes, at most `max` of them out
 * at once: `buffer()` lends one (waiting for the worker to give one back when all are out), the
 * caller fills it and hands it to `update`, which moves it to the worker (the caller's Buffer is
 * then empty). The caller's thread stays free to read and decode the next bytes meanwhile.
 * Always `close()` the job (also after a failure): it drops the worker's state for it.
 */
export class Sha256Job {
  readonly #id = ++lastId;
  readonly #free: ArrayBuffer[] = [];
  /** Buffers lent to the caller and not yet handed back. */
  readonly #lent = new Set<ArrayBuffer>();
  readonly #waiting: { resolve: (b: Buffer) => void; reject: (err: Error) => void }[] = [];
  #made = 0;
  #failed: Error | null = null;
  #digest: { resolve: (hex: string) => void; reject: (err: Error) => void } | null = null;
  #closed = false;
  readonly #worker: Worker;

  constructor(
    readonly size: number,
    private readonly max = 3,
  ) {
    this.#worker = theWorker();
    track(this.#id, {
      back: (buf) => this.#return(buf),
      digest: (hex) => this.#digest?.resolve(hex),
      fail: (err) => {
        this.#failed = err;
        for (const w of this.#waiting.splice(0)) w.reject(err);
        this.#digest?.reject(err);
      },
    });
  }

  /** A buffer of `size` bytes to fill; yours until given to `update` or `giveBack`. */
  buffer(): Promise<Buffer> {
    if (this.#failed) return Promise.reject(this.#failed);
    let ab = this.#free.pop();
    if (!ab && this.#made < this.max) {
      this.#made++;
      ab = Buffer.allocUnsafeSlow(this.size).buffer as ArrayBuffer;
    }
    if (ab) return Promise.resolve(this.#lend(ab));
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** A buffer from `buffer()` that is not to be hashed. */
  giveBack(buf: Buffer): void {
    this.#return(this.#unlend(buf));
  }

  /** Hash the first `length` bytes of `buf` (from `buffer()`), after everything given before. */
  update(buf: Buffer, length: number): void {
    if (this.#failed) throw this.#failed;
    const ab = this.#unlend(buf);
    this.#worker.postMessage({ id: this.#id, op: 'update', buf: ab, length }, [ab]);
  }

  #lend(ab: ArrayBuffer): Buffer {
    this.#lent.add(ab);
    return Buffer.from(ab);
  }

  #unlend(buf: Buffer): ArrayBuffer {
    const ab = buf.buffer as ArrayBuffer;
    if (!this.#lent.delete(ab)) throw new Error('Sha256Job takes back only buffers lent by buffer(), once');
    return ab;
  }

  #return(ab: ArrayBuffer): void {
    const w = this.#waiting.shift();
    if (w) w.resolve(this.#lend(ab));
    else this.#free.push(ab);
  }

  /** Hex digest of all bytes given to `update`. */
  digest(): Promise<string> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      this.#digest = { resolve, reject };
      this.#worker.postMessage({ id: this.#id, op: 'digest' });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#failed) this.#worker.postMessage({ id: this.#id, op: 'drop' });
    this.#free.length = 0;
    track(this.#id, null);
    for (const w of this.#waiting.splice(0)) w.reject(new Error('Sha256Job closed'));
  }
}

/** Below this many bytes in all, slices are hashed in place: a round trip to the worker costs more. */
const SLICES_IN_PLACE = 1 << 20;

/** A chunk's stored form as the worker judged it: its compression, and its bytes when zstd (a view of the caller's output buffer). */
export interface StoredForm {
  compression: Compression;
  bytes?: Uint8Array;
}

/** Where the worker finds zstd-napi's raw binding (resolved here: the worker starts with no module paths of ours). */
let zstdBinding: string | undefined;
const bindingPath = () => (zstdBinding ??= createRequire(import.meta.url).resolve('zstd-napi/binding.js'));

/**
 * The hex SHA-256 of each slice. Slices of one SharedArrayBuffer (an upload batch's body, see
 * BodyBuffers) are hashed on the worker thread, which reads them where they are: the event loop
 * meanwhile receives the next batch and stores the previous one, on the core a push's client
 * leaves idle once it has chunked. Other slices, and small batches, are hashed in place.
 * With `encodeInto` (shared memory, at least as long as the slices together) the worker also
 * judges each slice for storage (judgeChunk) and writes the zstd bytes of those kept compressed
 * into it: `stored[i]` is that form, or undefined where the event loop is to encode the slice
 * itself (hashed in place, or the worker could not load zstd).
 * The caller must not change the bytes, nor `encodeInto`'s, until this settles.
 */
export function digestSlices(slices: readonly Uint8Array[], encodeInto?: Uint8Array): Promise<{ hexes: string[]; stored: (StoredForm | undefined)[] }> {
  const sab = slices[0]?.buffer;
  const total = slices.reduce((n, b) => n + b.length, 0);
  if (!(sab instanceof SharedArrayBuffer) || total < SLICES_IN_PLACE || slices.some((b) => b.buffer !== sab)) {
    return Promise.resolve({ hexes: slices.map((b) => createHash('sha256').update(b).digest('hex')), stored: [] });
  }
  const at = new Float64Array(slices.length * 2);
  slices.forEach((b, i) => {
    at[2 * i] = b.byteOffset;
    at[2 * i + 1] = b.length;
  });
  const out = encodeInto && encodeInto.buffer instanceof SharedArrayBuffer && encodeInto.length >= total ? encodeInto : undefined;
  // The worker writes from the start of the output's SharedArrayBuffer: a view that does not start there gets none.
  const encode = out && out.byteOffset === 0 ? { out: out.buffer, binding: bindingPath(), rules: STORE_RULES } : undefined;
  const id = ++lastId;
  return new Promise((resolve, reject) => {
    const w = theWorker();
    track(id, {
      slices: (hexes, enc) => {
        track(id, null);
        const stored: (StoredForm | undefined)[] = [];
        if (enc && out) {
          for (let i = 0; i < slices.length; i++) {
            const code = enc[3 * i]!;
            if (code < 0) continue;
            const compression = CODES[code]!;
            stored[i] = compression === 'zstd' ? { compression, bytes: out.subarray(enc[3 * i + 1]!, enc[3 * i + 1]! + enc[3 * i + 2]!) } : { compression };
          }
        }
        resolve({ hexes, stored });
      },
      fail: (err) => {
        track(id, null);
        reject(err);
      },
    });
    w.postMessage({ id, op: 'slices', sab, at, ...(encode ? { encode } : {}) });
  });
}
