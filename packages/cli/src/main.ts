import { runCli } from './run.ts';

// exitCode rather than exit(): lets stdout drain, and keeps `steward serve` alive after its action returns.
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  cwd: process.cwd(),
});
