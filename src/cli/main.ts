import { runSignetCommand } from './signetCommand.ts';

// The `signet` command's entry (bin/signet.mjs imports it): everything else is in signetCommand.ts.
try {
  process.loadEnvFile?.('.env');
} catch {
  // No .env file: configuration comes from the environment alone.
}

const argv = process.argv.slice(2);
const code = await runSignetCommand(argv, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
// `serve` returns 0 once listening and must keep running: only a failure sets its exit status.
if (code !== 0 || argv[0] !== 'serve') process.exitCode = code;
