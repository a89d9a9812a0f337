// Whether dist/ (bin/build.mjs) is at least as new as every file it is built from.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** Written last by a successful build. */
export const BUILD_STAMP = join(ROOT, 'dist', '.built');

const SOURCES = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

export function buildIsCurrent() {
  let built;
  try {
    built = statSync(BUILD_STAMP).mtimeMs;
  } catch {
    return false;
  }
  return SOURCES.every((source) => newestModification(join(ROOT, source)) <= built);
}

/** The newest modification time among the files the build reads (tests and notes are not built). */
function newestModification(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return isBuilt(path) ? stat.mtimeMs : 0;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestModification(join(path, entry)));
  return newest;
}

function isBuilt(path) {
  return !path.endsWith('.test.ts') && /\.(ts|sql|json)$/.test(path);
}
