import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { Sha256Job, sha256WorkerRunning, warmSha256Worker } from './sha256-worker.ts';

describe('SHA-256 on a worker thread', () => {
  it('hashes the given prefixes of lent buffers in order, lending at most `max` at once', async () => {
    const parts = Array.from({ length: 7 }, (_, i) => randomBytes(1000 + i * 3000));
    const job = new Sha256Job(64 * 1024, 2);
    try {
      for (const p of parts) {
        const buf = await job.buffer(); // the third waits for the worker to give one back
        expect(buf.length).toBe(64 * 1024);
        p.copy(buf);
        job.update(buf, p.length);
        expect(buf.length).toBe(0); // moved to the worker, not copied
      }
      expect(await job.digest()).toBe(createHash('sha256').update(Buffer.concat(parts)).digest('hex'));
    } finally {
      job.close();
    }
  });

  it('keeps concurrent jobs apart, and a buffer given back is not hashed', async () => {
    const a = new Sha256Job(1024);
    const b = new Sha256Job(1024);
    try {
      const x = await a.buffer();
      const y = await b.buffer();
      x.fill(1);
      y.fill(2);
      a.update(x, 10);
      b.update(y, 20);
      const unused = await a.buffer();
      unused.fill(3);
      a.giveBack(unused);
      expect(await b.digest()).toBe(createHash('sha256').update(Buffer.alloc(20, 2)).digest('hex'));
      expect(await a.digest()).toBe(createHash('sha256').update(Buffer.alloc(10, 1)).digest('hex'));
    } finally {
      a.close();
      b.close();
    }
  });

  it('refuses a buffer it did not lend', async () => {
    const job = new Sha256Job(1024);
    try {
      expect(() => job.update(Buffer.alloc(1024), 10)).toThrow(/only buffers lent/);
      expect(await job.digest()).toBe(createHash('sha256').digest('hex'));
    } finally {
      job.close();
    }
  });

  it('an idle worker exits after 10 s (its isolate is memory a server pulling no longer needs), and the next job starts another', async () => {
    const hashOnce = async (bytes: Buffer) => {
      const job = new Sha256Job(1024);
      try {
        const buf = await job.buffer();
        bytes.copy(buf);
        job.update(buf, bytes.length);
        return await job.digest();
      } finally {
        job.close();
      }
    };
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await hashOnce(Buffer.from('one'));
      expect(sha256WorkerRunning()).toBe(true);
      vi.advanceTimersByTime(9_000);
      expect(sha256WorkerRunning()).toBe(true);
      vi.advanceTimersByTime(2_000);
      expect(sha256WorkerRunning()).toBe(false);
    } finally {
      vi.useRealTimers();
    }
    expect(await hashOnce(Buffer.from('two'))).toBe(createHash('sha256').update('two').digest('hex'));
    expect(sha256WorkerRunning()).toBe(true);
  });

  it('starts ahead of a push when warmed, and still exits when idle', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const job = new Sha256Job(16); // arms the idle exit under the fake clock
      job.close();
      vi.advanceTimersByTime(11_000);
      expect(sha256WorkerRunning()).toBe(false);
      warmSha256Worker();
      expect(sha256WorkerRunning()).toBe(true);
      vi.advanceTimersByTime(11_000);
      expect(sha256WorkerRunning()).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
