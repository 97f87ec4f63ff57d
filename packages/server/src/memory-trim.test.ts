import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadNativeTrim, noteTransfer, startTransferTrim, stopTransferTrim, transferTrim, TransferTrim } from './memory-trim.ts';
import { resolveConfig } from './config.ts';

const MiB = 1024 * 1024;
const moduleUrl = new URL('./memory-trim.ts', import.meta.url).href;
const glibc = process.platform === 'linux' && Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

/**
 * In a fresh process: fills ~180 MB of glibc's heap with 60 KB buffers (the size of HTTP body
 * pieces) pinned in place by small live ones, frees them, and trims. Resident anonymous MiB at
 * each step.
 */
function fragmentThenTrim(): { freed: number; trimmed: number; took: number } {
  const script = `
    import { readFileSync } from 'node:fs';
    import { loadNativeTrim } from ${JSON.stringify(moduleUrl)};
    const anon = () => Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
    const trim = loadNativeTrim();
    const pins = [];
    let pieces = [];
    for (let i = 0; i < 3000; i++) { pieces.push(Buffer.from(Buffer.allocUnsafeSlow(60000))); if (i % 50 === 0) pins.push(Buffer.allocUnsafeSlow(100)); }
    pieces = null; globalThis.gc(); globalThis.gc();
    const freed = anon();
    const t = performance.now(); trim(); const took = performance.now() - t;
    console.log(JSON.stringify({ freed, trimmed: anon(), took, pins: pins.length }));`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

describe('memory trim', () => {
  afterEach(() => {
    stopTransferTrim();
    vi.useRealTimers();
  });

  it.runIf(glibc)('the addon is built here and gives freed heap pages back to the system', () => {
    expect(loadNativeTrim()).toBeTypeOf('function');
    const r = fragmentThenTrim();
    // free() kept the pages: the 60 KB pieces sat below the small live buffers.
    expect(r.freed).toBeGreaterThan(150);
    expect(r.trimmed).toBeLessThan(r.freed - 120);
  });

  it('trims once, after enough bytes and a quiet spell, and counts what it gave back', () => {
    vi.useFakeTimers();
    let rss = 300 * MiB;
    const trim = vi.fn(() => {
      rss -= 50 * MiB;
      return true;
    });
    const t = new TransferTrim(trim, 64 * MiB, 200, () => rss);
    t.note(63 * MiB);
    vi.advanceTimersByTime(1000);
    expect(trim).not.toHaveBeenCalled(); // under the threshold: nothing to give back worth a trim
    t.note(1 * MiB);
    vi.advanceTimersByTime(150);
    t.note(8 * MiB); // still moving: wait for quiet
    vi.advanceTimersByTime(150);
    expect(trim).not.toHaveBeenCalled();
    vi.advanceTimersByTime(60);
    expect(trim).toHaveBeenCalledTimes(1);
    expect(t.stats()).toEqual({ trims: 1, releasedBytes: 50 * MiB });
    t.note(10 * MiB); // the count starts again
    vi.advanceTimersByTime(1000);
    expect(trim).toHaveBeenCalledTimes(1);
  });

  it('is off until started, and with 0 or without the addon', () => {
    vi.useFakeTimers();
    const trim = vi.fn(() => true);
    noteTransfer(1024 * MiB);
    expect(transferTrim()).toBeNull();
    expect(startTransferTrim(0, trim)).toBeNull();
    expect(startTransferTrim(64, null)).toBeNull();
    const first = startTransferTrim(64, trim);
    const second = startTransferTrim(64, trim); // a second server in the process
    stopTransferTrim(first); // the first one closing leaves the second's running
    expect(transferTrim()).toBe(second);
    noteTransfer(64 * MiB);
    vi.advanceTimersByTime(250);
    expect(trim).toHaveBeenCalledTimes(1);
    stopTransferTrim(second);
    noteTransfer(64 * MiB);
    vi.advanceTimersByTime(250);
    expect(trim).toHaveBeenCalledTimes(1);
  });

  it('is a setting: 64 MiB by default, STEWARD_MEMORY_TRIM_MIB, 0 turns it off', () => {
    expect(resolveConfig({ dataDir: '/nonexistent-steward' }, {}).memoryTrimMiB).toBe(64);
    expect(resolveConfig({ dataDir: '/nonexistent-steward' }, { STEWARD_MEMORY_TRIM_MIB: '0' }).memoryTrimMiB).toBe(0);
    expect(() => resolveConfig({ dataDir: '/nonexistent-steward' }, { STEWARD_MEMORY_TRIM_MIB: '-1' })).toThrow(/memoryTrimMiB/);
  });
});
