import { readFileSync } from 'node:fs';

/**
 * Signet's own folder and version, found by walking up from this module to the package.json
 * named "signet": two folders up from src/http, three from dist/src/http, so the same code
 * works from the sources and from the build.
 */
export function signetRoot(): { folder: URL; version: string } | undefined {
  for (let up = new URL('../../', import.meta.url); up.pathname !== '/'; up = new URL('../', up)) {
    try {
      const found = JSON.parse(readFileSync(new URL('package.json', up), 'utf8')) as {
        name?: string;
        version: string;
      };
      if (found.name === 'signet') return { folder: up, version: found.version };
    } catch {
      // no package.json here: look one folder up
    }
  }
  return undefined;
}
