#!/usr/bin/env node
// The `signet` command. Runs the compiled build in dist/ (`npm install` makes it, through the
// `prepare` script; `npm run build` remakes it) while it is at least as new as the sources;
// otherwise the TypeScript sources through tsx, so an edited checkout works with no build step.
// The compiled build is what to run in production: the tsx loader adds start-up time and keeps
// its own V8 isolate (~36 MiB) for the life of the process.
import { buildIsCurrent } from './buildState.mjs';

if (buildIsCurrent()) {
  await import('../dist/src/cli/main.js');
} else {
  const help = process.argv.includes('--help') || process.argv.includes('-h');
  if (process.argv[2] === 'serve' && !help) {
    process.stderr.write(
      'signet: dist/ is missing or older than src/; running the sources through tsx (`npm run build` compiles them)\n',
    );
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
