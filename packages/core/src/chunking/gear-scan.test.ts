import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assembleGearScan, gearScanModuleSource } from './gear-scan.assemble.ts';
import { GEAR_SCAN_WASM_HEX } from './gear-scan-wasm.ts';
import { createWasmScan, gearScanEngine, scanJs, type GearScan } from './gear-scan.ts';
import { seededBytes } from './seeded-bytes.ts';

/** Mask with the `bits` highest bits set (as the chunker builds them), signed. */
const topBits = (bits: number): number => ~(2 ** (32 - bits) - 1) | 0;

function run(scan: GearScan, bytes: Uint8Array, from: number, to: number, mask: number, h: number): [number, number] {
  const state = { h };
  return [scan(bytes, from, to, mask, state), state.h];
}

describe('WebAssembly gear scan', () => {
  const wasm = createWasmScan()!;

  it('gear-scan-wasm.ts is gear-scan.wat assembled (run gear-scan.assemble.ts after editing the WAT)', async () => {
    const bytes = await assembleGearScan();
    expect(readFileSync(new URL('./gear-scan-wasm.ts', import.meta.url), 'utf8')).toBe(gearScanModuleSource(bytes));
    expect(GEAR_SCAN_WASM_HEX).toBe(Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''));
  });

  it('is what the chunker uses in Node (so every chunker test runs through it)', () => {
    expect(wasm).not.toBeNull();
    expect(gearScanEngine()).toBe('wasm');
  });

  it('returns the same cut and hash as the JS loop for any range, mask and starting hash', () => {
    const data = seededBytes(80 * 1024, 7);
    fc.assert(
      fc.property(
        fc.nat({ max: data.length }),
        fc.nat({ max: 40 * 1024 }), // crosses the 16 KiB copy window
        fc.integer({ min: 0, max: 14 }), // 0 bits: every byte cuts; 14: cuts every ~16 KiB
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        (from, len, bits, h) => {
          const to = Math.min(data.length, from + len);
          const mask = topBits(bits);
          expect(run(wasm, data, from, to, mask, h)).toEqual(run(scanJs, data, from, to, mask, h));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('finds every cut of a long input as the JS loop does, whatever the offset in the copy window', () => {
    const data = seededBytes(1 << 20, 11);
    const mask = topBits(9); // ~2,000 cuts over 1 MiB
    const cuts = (scan: GearScan): number[] => {
      const out: number[] = [];
      const state = { h: 0 };
      for (let i = 0; i < data.length; ) {
        const cut = scan(data, i, data.length, mask, state);
        if (cut < 0) break;
        out.push(cut);
        i = cut;
      }
      return out;
    };
    const expected = cuts(scanJs);
    expect(expected.length).toBeGreaterThan(1000);
    expect(cuts(wasm)).toEqual(expected);
  });

  it('is refused, not half-loaded, when the module does not compile (the chunker then uses the JS loop)', () => {
    expect(createWasmScan('0061736d02000000')).toBeNull(); // wrong version
    expect(createWasmScan('')).toBeNull();
  });
});
