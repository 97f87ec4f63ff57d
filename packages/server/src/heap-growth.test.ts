import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyHeapGrowth } from './heap-growth.ts';
import { resolveConfig } from './config.ts';

const moduleUrl = new URL('./heap-growth.ts', import.meta.url).href;

/** The growth factor V8 used for the old generation's limit after a full GC in a fresh process that applied `percent`. */
function factorAfterGc(percent: number, nodeArgs: string[] = []): string | undefined {
  const script = `import { applyHeapGrowth } from ${JSON.stringify(moduleUrl)}; applyHeapGrowth(${percent}); globalThis.gc();`;
  const out = execFileSync(process.execPath, [...nodeArgs, '--expose-gc', '--trace-gc-verbose', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' });
  return /\[HeapController\] Limit: .*\((\d+\.\d)\)/.exec(out)?.[1];
}

describe('heap growth', () => {
  it('V8 takes the factor when it is set in a running process', () => {
    expect(factorAfterGc(150)).toBe('2.5');
  });

  it("leaves a factor given to node itself, and V8's own with 0", () => {
    expect(factorAfterGc(150, ['--heap-growing-percent=50'])).toBe('1.5');
    expect(applyHeapGrowth(150, ['--heap_growing_percent=50'])).toBe(false);
    expect(applyHeapGrowth(0, [])).toBe(false);
    expect(applyHeapGrowth(Number.NaN, [])).toBe(false);
  });

  it('is a setting: 200 by default, STEWARD_HEAP_GROWING_PERCENT, bounded', () => {
    expect(resolveConfig({ dataDir: '/nonexistent-steward' }, {}).heapGrowingPercent).toBe(200);
    expect(resolveConfig({ dataDir: '/nonexistent-steward' }, { STEWARD_HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(() => resolveConfig({ dataDir: '/nonexistent-steward' }, { STEWARD_HEAP_GROWING_PERCENT: 'lots' })).toThrow(/heapGrowingPercent/);
  });
});
