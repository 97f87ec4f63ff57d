import { describe, expect, it } from 'vitest';
import { isLoopback } from './app.ts';
import { transferProgress } from './progress.ts';

describe('transferProgress', () => {
  it('draws a byte bar with rate and ETA on a TTY', () => {
    let out = '';
    const bar = transferProgress({ write: (s: string) => (out += s), isTTY: true }, true);
    bar.update({ phase: 'upload', path: 'model.onnx', bytes: 0, total: 2_000_000 });
    bar.update({ phase: 'upload', path: 'model.onnx', bytes: 2_000_000, total: 2_000_000 });
    bar.stop();
    expect(out).toContain('uploading');
    expect(out).toContain('100%');
    expect(out).toContain('2.0 MB/2.0 MB');
    expect(out).toMatch(/\/s \| ETA/);
  });

  it('writes nothing when piped or with --json', () => {
    let out = '';
    for (const [isTTY, enabled] of [[false, true], [true, false]] as const) {
      const bar = transferProgress({ write: (s: string) => (out += s), isTTY }, enabled);
      bar.update({ phase: 'download', path: 'x', bytes: 5, total: 10 });
      bar.stop();
    }
    expect(out).toBe('');
  });
});

describe('isLoopback', () => {
  it('only trusts local addresses with the on-disk admin token', () => {
    for (const u of ['http://127.0.0.1:7600', 'http://localhost', 'http://[::1]:7600', 'http://127.1.2.3']) expect(isLoopback(u)).toBe(true);
    for (const u of ['http://10.0.0.1', 'https://steward.example.com', 'http://127.0.0.1.nip.io', 'not a url']) expect(isLoopback(u)).toBe(false);
  });
});
