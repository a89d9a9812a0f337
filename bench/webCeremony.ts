import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';
import { build } from 'vite';
import { apiClient, envelopeJson, latestTokenFor } from '../test/support/apiClient.ts';
import { createTestOrganization, startTestSignet } from '../test/support/signetHarness.ts';
import { makeContractPdf } from './documents.ts';
import { type Sample, summarize } from './stats.ts';
import { formatMs, type Row } from './table.ts';

/*
 * The signing ceremony in Chromium (issue #11 item 9): how long a signer waits on localhost
 * until a 20-page PDF's first page is painted with their fields and the ceremony answers input,
 * and how much JavaScript (gzipped, pdf.js worker excluded) the page loads — beside the same
 * two numbers for pdf.js's own viewer component showing the same PDF (bench/pdfjsViewer/),
 * built by Vite in this run. Each load is a fresh browser context, so nothing comes from cache.
 * Both pages mark readiness the same way: `data-ready` on <html> and `window.readyAt`
 * (performance.now() when the first page was painted).
 */

const CHROMIUM = '/usr/bin/chromium';
const PEER_ROOT = join(dirname(fileURLToPath(import.meta.url)), 'pdfjsViewer');

export interface CeremonyBench {
  pages: number;
  runs: number;
  ceremony: { readyMs: Sample; scriptGzipBytes: number };
  viewer: { readyMs: Sample; scriptGzipBytes: number };
}

export async function measureCeremony(options: { pages: number; runs: number }): Promise<CeremonyBench> {
  const pdf = Buffer.from(await makeContractPdf(options.pages));
  const peerDir = mkdtempSync(join(tmpdir(), 'signet-bench-pdfjs-'));
  const signet = await startTestSignet('pglite');
  let peer: Server | undefined;
  let browser: Browser | undefined;
  try {
    await build({
      root: PEER_ROOT,
      logLevel: 'warn',
      build: { outDir: peerDir, emptyOutDir: true, chunkSizeWarningLimit: 4096 },
    });
    peer = await serveFolder(peerDir, pdf);
    const peerUrl = `http://127.0.0.1:${(peer.address() as { port: number }).port}/index.html`;

    const org = await createTestOrganization(signet, 'Bench Ltd');
    const admin = apiClient(signet.app, org.apiKey);
    const created = await admin.post<{ id: string }>('/api/v1/envelopes?send=true', envelopeJson(pdf));
    if (created.status !== 201) throw new Error(`creating the envelope answered ${created.status}`);
    const token = await latestTokenFor(admin, 'sam@client.test');
    // Past the consent step, so each load lands on the document with the signer's fields.
    const consent = await apiClient(signet.app).post(`/api/v1/signing/${token}/consent`);
    if (consent.status >= 300) throw new Error(`consent answered ${consent.status}`);
    const ceremonyUrl = `${signet.url}/sign/${token}`;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const ceremony = await loadRepeatedly(browser, ceremonyUrl, options.runs);
    const viewer = await loadRepeatedly(browser, peerUrl, options.runs);
    return { pages: options.pages, runs: options.runs, ceremony, viewer };
  } finally {
    await browser?.close();
    peer?.close();
    await signet.stop();
    rmSync(peerDir, { recursive: true, force: true });
  }
}

async function loadRepeatedly(browser: Browser, url: string, runs: number) {
  const readyMs: number[] = [];
  let scriptGzipBytes = 0;
  for (let run = 0; run <= runs; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const scripts: Promise<number>[] = [];
    page.on('response', (response) => {
      const address = response.url();
      const isScript = response.request().resourceType() === 'script' || /\.m?js(\?|$)/.test(address);
      if (isScript && !/worker/i.test(address)) {
        scripts.push(
          response.body().then(
            (body) => gzipSync(body, { level: 9 }).length,
            () => 0,
          ),
        );
      }
    });
    await page.goto(url);
    await page.waitForSelector('html[data-ready]', { timeout: 60_000 });
    const ready = await page.evaluate(() => (globalThis as unknown as { readyAt: number }).readyAt);
    const bytes = (await Promise.all(scripts)).reduce((sum, size) => sum + size, 0);
    await context.close();
    if (run === 0) continue; // the first load warms the server and the disk cache
    readyMs.push(ready);
    scriptGzipBytes = bytes;
  }
  return { readyMs: summarize(readyMs), scriptGzipBytes };
}

/** The peer's built files and the PDF, on loopback. */
function serveFolder(folder: string, pdf: Buffer): Promise<Server> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.mjs': 'text/javascript',
    '.css': 'text/css',
  };
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path === '/document.pdf') {
      response.writeHead(200, { 'content-type': 'application/pdf' }).end(pdf);
      return;
    }
    const file = join(folder, path);
    if (!file.startsWith(folder) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' })
      .end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

export function ceremonyRows(bench: CeremonyBench | undefined): Row[] {
  if (!bench) return [];
  const { ceremony, viewer } = bench;
  return [
    {
      measure: `signing ceremony interactive, ${bench.pages}-page PDF, Chromium on localhost (median of ${bench.runs})`,
      value: formatMs(ceremony.readyMs.median),
      peer: `${formatMs(viewer.readyMs.median)} pdf.js viewer alone`,
      ratio: `${(ceremony.readyMs.median / viewer.readyMs.median).toFixed(2)}×`,
      target: `≤ 1.5 s: ${ceremony.readyMs.median <= 1500 ? 'PASS' : 'FAIL'}`,
    },
    {
      measure: 'signing ceremony JavaScript, gzipped, without the pdf.js worker',
      value: kB(ceremony.scriptGzipBytes),
      peer: `${kB(viewer.scriptGzipBytes)} pdf.js viewer alone`,
      ratio: `${(ceremony.scriptGzipBytes / viewer.scriptGzipBytes).toFixed(2)}×`,
      target: `≤ 250 kB: ${ceremony.scriptGzipBytes <= 250_000 ? 'PASS' : 'FAIL'}`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { describeMachine } = await import('./machine.ts');
  const { renderMarkdownTable } = await import('./table.ts');
  const bench = await measureCeremony({ pages: 20, runs: Number(process.env.BENCH_RUNS ?? 5) });
  process.stdout.write(`${renderMarkdownTable(ceremonyRows(bench), describeMachine())}\n`);
  process.exit(0);
}
