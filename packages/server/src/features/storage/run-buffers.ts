/**
 * Buffers that pack runs are read into for answers that send chunk bytes on to a socket (fetch
 * answers, downloads). A fresh buffer per run, handed to the socket, is garbage once written, and
 * V8 collects external memory only after ~64 MiB more of it: serving a 4 GiB pull kept the server
 * ~100 MiB above idle. A buffer is lent with one reference (the reader's); every piece of it handed
 * on takes another, dropped once the socket has written that piece; the last one gives it back.
 * At most `keep` buffers wait here for reuse; a buffer never given back is simply collected.
 */
export class RunBuffers {
  #free: Buffer[] = [];
  constructor(
    /** Bytes per buffer: a run read into one is at most this long. */
    readonly size = 1024 * 1024,
    private readonly keep = 8,
  ) {}

  #out = 0;

  lend(): Lease {
    this.#out++;
    return new Lease(this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size), (b) => {
      this.#out--;
      if (this.#free.length < this.keep) this.#free.push(b);
    });
  }

  /** Buffers waiting for reuse (for tests). */
  get idle(): number {
    return this.#free.length;
  }

  /** Buffers lent and not given back yet (for tests). */
  get lent(): number {
    return this.#out;
  }
}

/** One lent buffer and its references; the buffer goes back when the last one is dropped. */
export class Lease {
  #refs = 1;
  constructor(
    readonly buf: Buffer,
    private readonly back: (b: Buffer) => void,
  ) {}

  retain(): this {
    if (this.#refs <= 0) throw new Error('a run buffer was used after it was given back');
    this.#refs++;
    return this;
  }

  release(): void {
    if (this.#refs <= 0) throw new Error('a run buffer was given back twice');
    if (--this.#refs === 0) this.back(this.buf);
  }
}
