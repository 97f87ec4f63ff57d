import { GEAR } from './gear-table.ts';
import { GEAR_SCAN_WASM_HEX } from './gear-scan-wasm.ts';

/** Chunker hash state carried between calls. */
export interface GearState {
  h: number;
}

/**
 * Gear-hash the bytes in [from, to) from hash `state.h` and stop after the first byte whose hash
 * passes `(h & mask) === 0`. Returns the index just past that byte, or -1 if none did; the hash
 * is left in `state.h`. This loop is the chunker's whole cost.
 */
export type GearScan = (bytes: Uint8Array, from: number, to: number, mask: number, state: GearState) => number;

/** The reference loop, and the fallback where WebAssembly is unavailable. Kept small and monomorphic. */
export const scanJs: GearScan = (bytes, from, to, mask, state) => {
  const gear = GEAR;
  let h = state.h;
  for (let i = from; i < to; i++) {
    h = ((h << 1) + gear[bytes[i]!]!) | 0;
    if ((h & mask) === 0) {
      state.h = h;
      return i + 1;
    }
  }
  state.h = h;
  return -1;
};

/** Where gear-scan.wat expects the gear table and the input (see its header). */
const INPUT_AT = 1024;
/**
 * Input bytes copied into the module per call. Small, because bytes past a cut are copied for
 * nothing (a scan range is up to 192 KiB; the cut is usually well before its end); 16 KiB makes
 * the call and copy overhead a few per cent of the scan.
 */
const WINDOW = 16 * 1024;

interface GearScanExports {
  memory: WebAssembly.Memory;
  h: WebAssembly.Global;
  scan(i: number, to: number, mask: number, h: number): number;
}

function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/**
 * The WebAssembly scan (gear-scan.wat; 3.4× the JS loop's speed in V8, bench/chunking.bench.ts), or null where
 * WebAssembly is missing or refused (a page whose CSP lacks 'wasm-unsafe-eval', a realm without
 * it). Compiled synchronously: the module is under 1 KiB, below every browser's limit for that
 * on the main thread. Boundaries are identical to `scanJs` by construction and by test.
 */
export function createWasmScan(hex: string = GEAR_SCAN_WASM_HEX): GearScan | null {
  const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  if (typeof wasm !== 'object' || wasm === null) return null;
  let ex: GearScanExports;
  try {
    ex = new wasm.Instance(new wasm.Module(hexBytes(hex)), {}).exports as unknown as GearScanExports;
  } catch {
    return null;
  }
  const view = new DataView(ex.memory.buffer);
  GEAR.forEach((g, i) => view.setInt32(i * 4, g, true)); // wasm memory is little-endian
  const mem = new Uint8Array(ex.memory.buffer); // never grows (max 1 page), so never detached
  const { scan, h: hOut } = ex;
  // One instance per realm, used synchronously: no two calls can interleave.
  return (bytes, from, to, mask, state) => {
    let h = state.h;
    for (let s = from; s < to; s += WINDOW) {
      const n = Math.min(WINDOW, to - s);
      mem.set(bytes.subarray(s, s + n), INPUT_AT);
      const cut = scan(INPUT_AT, INPUT_AT + n, mask, h);
      h = hOut.value as number;
      if (cut >= 0) {
        state.h = h;
        return s + cut - INPUT_AT;
      }
    }
    state.h = h;
    return -1;
  };
}

let chosen: { scan: GearScan; engine: 'wasm' | 'js' } | undefined;

/** The scan the chunker uses: WebAssembly when it loads, else the JS loop. Chosen once per realm, on first use. */
export function gearScan(): GearScan {
  if (!chosen) {
    const wasm = createWasmScan();
    chosen = wasm ? { scan: wasm, engine: 'wasm' } : { scan: scanJs, engine: 'js' };
  }
  return chosen.scan;
}

/** Which implementation `gearScan()` picked (for tests and benchmarks). */
export function gearScanEngine(): 'wasm' | 'js' {
  gearScan();
  return chosen!.engine;
}
