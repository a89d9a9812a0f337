import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config/config.ts';
import { startSignet } from '../src/main.ts';

/*
 * The server side of verifyLatency.ts: the compiled Signet (dist/, as production runs it) with
 * its default PDF limits and one PDF worker, in a process the parent pins to one core
 * (taskset). Prints its URL as one JSON line, then serves until its stdin closes.
 */

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-bench-verify-'));
  const signet = await startSignet(
    loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      PDF_WORKERS: '1',
      // The benchmark client stands in for a load balancer and names a different client in
      // X-Forwarded-For for each request, so the per-address rate limit does not end the run.
      TRUST_PROXY: '127.0.0.1',
    }),
    { logger: pino({ level: 'silent' }), bootstrap: false },
  );
  process.stdout.write(`${JSON.stringify({ url: signet.url, rootPem: signet.platform.pki.rootPem })}\n`);
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await signet.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
