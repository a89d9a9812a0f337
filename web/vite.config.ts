import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * pdf.js fetches what a PDF does not carry itself — the standard 14 fonts, CMaps, ICC profiles,
 * the WebAssembly image decoders — by name from a folder it is told (web/src/sign/pdf.ts), so
 * they are copied, unhashed, to assets/pdfjs-<version>/ (the version keeps the year-long cache honest).
 */
function pdfJsAssets(): Plugin {
  const root = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const folders: Record<string, (name: string) => boolean> = {
    standard_fonts: () => true,
    cmaps: () => true,
    iccs: (name) => name.endsWith('.icc'),
    // The JBIG2, JPEG 2000 and colour-management decoders; not QuickJS (PDF scripts are never run).
    wasm: (name) => !name.startsWith('LICENSE') && !name.startsWith('quickjs'),
  };
  return {
    name: 'signet-pdfjs-assets',
    apply: 'build',
    generateBundle() {
      for (const [folder, wanted] of Object.entries(folders)) {
        for (const name of readdirSync(join(root, folder)).filter(wanted)) {
          this.emitFile({
            type: 'asset',
            fileName: `assets/pdfjs-${version}/${folder}/${name}`,
            source: readFileSync(join(root, folder, name)),
          });
        }
      }
    },
  };
}

/*
 * Two entry points, so a signer downloads only the ceremony: app.html is the sender workspace
 * (sign-in, envelopes, users, settings), sign.html the signing ceremony at /sign/{token}.
 * Fastify serves dist/ (src/http/webApp.ts); assets carry content hashes and are cached forever.
 */
/**
 * pdf.js ends its main module by copying every export onto `globalThis.pdfjsLib` (for its own
 * viewer, which loads it as a script) and a testing hook onto `globalThis._pdfjsTestingUtils`.
 * Those assignments keep the whole library alive for the bundler; without them it drops what
 * the ceremony never calls (the annotation editor, the text, annotation and XFA layers): 11 kB
 * of gzipped JavaScript a signer's phone need not download (measured with pdfjs-dist 6.5).
 */
function pdfJsWithoutGlobals(): Plugin {
  return {
    name: 'signet-pdfjs-without-globals',
    apply: 'build',
    transform(code, id) {
      if (!/pdfjs-dist\/build\/pdf\.mjs$/.test(id)) return null;
      const stripped = code
        .replace(/\{\s*globalThis\._pdfjsTestingUtils = \{[^}]*\};\s*\}/, '')
        .replace(/globalThis\.pdfjsLib = \{[^}]*\};/, '');
      if (stripped.includes('globalThis.pdfjsLib') || stripped.includes('globalThis._pdfjsTestingUtils')) {
        this.error(
          'pdf.js changed how it publishes its globals: update pdfJsWithoutGlobals in web/vite.config.ts',
        );
      }
      return { code: stripped, map: null };
    },
  };
}

/**
 * Each page is built on its own (`vite build --mode app`, then `--mode sign`), so each is
 * tree-shaken by what it alone uses: built together, a library both import (pdf.js, Radix)
 * keeps the union of what either calls, and the ceremony would carry the workspace's share —
 * 12 kB gzipped more when measured with `npm run bench`.
 */
const PAGES = ['app', 'sign'] as const;

export default defineConfig(({ mode }) => {
  const page = PAGES.find((name) => name === mode);
  if (!page) throw new Error(`build one page at a time: vite build --mode ${PAGES.join('|')}`);
  return {
    root: fileURLToPath(new URL('.', import.meta.url)),
    base: '/',
    plugins: [react(), pdfJsAssets(), pdfJsWithoutGlobals()],
    resolve: {
      alias: { '@signet/sdk': fileURLToPath(new URL('../sdk/src/index.ts', import.meta.url)) },
    },
    build: {
      outDir: 'dist',
      // The first page's build empties dist/; the second adds to it.
      emptyOutDir: page === PAGES[0],
      assetsDir: 'assets',
      sourcemap: false,
      reportCompressedSize: false,
      rollupOptions: { input: { [page]: fileURLToPath(new URL(`${page}.html`, import.meta.url)) } },
    },
  };
});
