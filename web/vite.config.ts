import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/*
 * Two entry points, so a signer downloads only the ceremony: app.html is the sender workspace
 * (sign-in, envelopes, users, settings), sign.html the signing ceremony at /sign/{token}.
 * Fastify serves dist/ (src/http/webApp.ts); assets carry content hashes and are cached forever.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  resolve: {
    alias: { '@signet/sdk': fileURLToPath(new URL('../sdk/src/index.ts', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: false,
    rollupOptions: {
      input: {
        app: fileURLToPath(new URL('app.html', import.meta.url)),
        sign: fileURLToPath(new URL('sign.html', import.meta.url)),
      },
    },
  },
});
