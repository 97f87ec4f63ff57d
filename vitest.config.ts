import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests never touch the real ~/.steward (key pins, chunk and digest caches): each run has its own
// home, removed when the run ends.
const home = mkdtempSync(join(tmpdir(), 'steward-test-home-'));
process.once('exit', () => rmSync(home, { recursive: true, force: true }));

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start servers and databases; two cores, so keep parallelism modest.
    maxWorkers: 2,
    // No free-space reserve for uploads (disk-reserve.ts; 512 MiB by default): the suite writes
    // little and must not fail on a nearly full disk. Its own tests set one explicitly.
    env: { STEWARD_HOME: home, STEWARD_MIN_FREE_MIB: '0' },
  },
});
