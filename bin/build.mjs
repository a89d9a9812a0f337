#!/usr/bin/env node
// `npm run build` (also run by `npm install`, through `prepare`): compiles src/ to dist/ with
// tsc — the imports' .ts extensions rewritten to .js — and copies what is not TypeScript (the
// SQL migrations, the mail catalogues) beside it. bin/signet.mjs runs dist/ while it is current:
// plain JavaScript starts faster and holds less memory than the sources through the tsx loader.
// It only transpiles (tsconfig.build.json sets noCheck): type checking is `npm test`'s job, so
// the build needs no @types packages and works after `npm install --omit=dev` too.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BUILD_STAMP, ROOT } from './buildState.mjs';

const started = performance.now();
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

// What is read from files beside the code: the SQL migrations and the mail message catalogues.
for (const folder of [join('src', 'db', 'migrations'), join('src', 'notify', 'messages')]) {
  cpSync(join(ROOT, folder), join(ROOT, 'dist', folder), { recursive: true });
}

mkdirSync(dirname(BUILD_STAMP), { recursive: true });
writeFileSync(BUILD_STAMP, `${new Date().toISOString()}\n`);
process.stderr.write(`signet: built dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
