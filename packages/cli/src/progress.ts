import cliProgress from 'cli-progress';
import type { TransferProgress } from '@steward/client/node';
import { formatBytes } from './format.ts';
import type { OutStream } from './app.ts';

export interface ProgressSink {
  update(p: TransferProgress): void;
  stop(): void;
}

const LABEL: Record<TransferProgress['phase'], string> = { hash: 'hashing', chunk: 'chunking', upload: 'uploading', download: 'downloading' };

/**
 * A byte progress bar with rate and ETA on stderr, one bar per phase. Disabled (a no-op) unless
 * stderr is a TTY and output is not --json, so pipes and logs stay clean.
 */
export function transferProgress(stderr: OutStream, enabled: boolean): ProgressSink {
  if (!enabled || !stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  let bar: cliProgress.SingleBar | undefined;
  let phase: string | undefined;
  let started = 0;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update(p) {
      if (p.phase !== phase || !bar) {
        stop();
        phase = p.phase;
        started = Date.now();
        bar = new cliProgress.SingleBar(
          {
            stream: stderr as unknown as NodeJS.WritableStream,
            format: `${LABEL[p.phase].padEnd(11)} {bar} {percentage}% | {done}/{all} | {rate}/s | ETA {eta_formatted} | {file}`,
            hideCursor: true,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.max(p.total, 1), 0, { done: '0 B', all: formatBytes(p.total), rate: '-', file: p.path });
      }
      const secs = Math.max((Date.now() - started) / 1000, 0.001);
      bar.update(p.bytes, { done: formatBytes(p.bytes), rate: formatBytes(p.bytes / secs), file: p.path });
    },
    stop,
  };
}
