import { PassThrough } from 'node:stream';
import { runCli } from '../run.ts';

export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CaptureOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Piped to stdin (then closed). */
  input?: string;
  /** Whether stdin / stdout claim to be terminals (prompts, live views). */
  tty?: boolean;
  outTty?: boolean;
}

/** Runs the CLI in-process, as a test sees it: exit code and everything written to stdout and stderr. */
export async function runCaptured(argv: string[], o: CaptureOptions): Promise<CapturedRun> {
  let stdout = '';
  let stderr = '';
  const stdin = Object.assign(new PassThrough(), { isTTY: o.tty ?? false });
  if (o.input !== undefined) stdin.end(o.input);
  const code = await runCli(argv, {
    env: o.env,
    stdout: { write: (s: string) => (stdout += s), ...(o.outTty === undefined ? {} : { isTTY: o.outTty }) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    stdin,
    cwd: o.cwd,
  });
  return { code, stdout, stderr };
}
