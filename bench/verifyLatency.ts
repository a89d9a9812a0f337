import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sealPdf } from '../src/pdf/seal.ts';
import type { SealingIdentity } from '../src/pki/signer.ts';
import { objectStreamArrayBomb } from '../test/support/pdfBombs.ts';
import { makeContractPdf } from './documents.ts';
import { type Sample, summarize } from './stats.ts';

/*
 * The public verify route while it is fed a hostile document (security issue, finding 1): the
 * server runs compiled in a child pinned to ONE core (taskset -c 0), with its default limits;
 * this process is the client, on the other cores, so it measures the server and not itself.
 * A prober asks /healthz every 20 ms, one request at a time, through three phases:
 *   idle — the server's normal latency, the reference every other figure is read against;
 *   ordinary — POST /api/v1/verify with a 1-page B-B signed PDF, 20 times in a row;
 *   bomb — the worst document the default limits allow: an object stream of ~23 kB that
 *     inflates to 4 MB holding 1,999,000 objects, just under the 2,000,000-object limit.
 */

export interface VerifyLatencyReport {
  pinnedToOneCore: boolean;
  ordinaryBytes: number;
  bombBytes: number;
  idleHealth: Sample;
  ordinary: { verify: Sample; health: Sample; statuses: number[] };
  bomb: { verify: Sample; health: Sample; statuses: number[] };
}

const CHILD = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bench', 'verifyLatencyChild.js');
const HEALTH_INTERVAL_MS = 20;
/** Objects in the bomb: as many as the default limit (2,000,000) allows, with room for the page. */
const BOMB_OBJECTS = 1_999_000;

export async function measureVerifyLatency(identity: SealingIdentity): Promise<VerifyLatencyReport> {
  if (!existsSync(CHILD)) throw new Error(`${CHILD} is missing: \`npm run build\` compiles it`);
  const ordinary = Buffer.from(await sealPdf(await makeContractPdf(1), identity));
  // Each zero is "0 " (two bytes, one object).
  const bomb = objectStreamArrayBomb((BOMB_OBJECTS * 2) / (1024 * 1024));
  const pinned = existsSync('/usr/bin/taskset');
  const child = spawn(
    pinned ? '/usr/bin/taskset' : process.execPath,
    pinned ? ['-c', '0', process.execPath, CHILD] : [CHILD],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    const { url } = await firstLine<{ url: string }>(child);
    let client = 0;
    const verify = async (pdf: Buffer) => {
      const started = performance.now();
      client += 1;
      const response = await fetch(`${url}/api/v1/verify`, {
        method: 'POST',
        // A new client each time (the server believes 127.0.0.1 as its proxy): the route allows
        // 30 verifications a minute per client, and this is not what is measured.
        headers: {
          'content-type': 'application/pdf',
          'x-forwarded-for': `10.0.${client >> 8}.${client & 255}`,
        },
        body: pdf,
      });
      await response.arrayBuffer();
      return { ms: performance.now() - started, status: response.status };
    };
    // Warm-up: the worker thread, the validator's code paths, the route.
    for (let i = 0; i < 10; i++) await verify(ordinary);
    await verify(bomb);

    const idle = await phase(url, async () => {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return [];
    });
    const ordinaryPhase = await phase(url, () => repeat(20, () => verify(ordinary)));
    const bombPhase = await phase(url, () => repeat(3, () => verify(bomb)));
    return {
      pinnedToOneCore: pinned,
      ordinaryBytes: ordinary.length,
      bombBytes: bomb.length,
      idleHealth: summarize(idle.health),
      ordinary: {
        verify: summarize(ordinaryPhase.verify),
        health: summarize(ordinaryPhase.health),
        statuses: ordinaryPhase.statuses,
      },
      bomb: {
        verify: summarize(bombPhase.verify),
        health: summarize(bombPhase.health),
        statuses: bombPhase.statuses,
      },
    };
  } finally {
    child.stdin?.end();
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function repeat<T>(times: number, task: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < times; i++) results.push(await task());
  return results;
}

/** Runs `work` while a prober asks /healthz every 20 ms, one request at a time. */
async function phase(url: string, work: () => Promise<{ ms: number; status: number }[]>) {
  const health: number[] = [];
  let running = true;
  const prober = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
      health.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, HEALTH_INTERVAL_MS));
    }
  })();
  const results = await work();
  running = false;
  await prober;
  return { verify: results.map((r) => r.ms), statuses: results.map((r) => r.status), health };
}

function firstLine<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(buffered.slice(0, newline)) as T);
    });
    child.once('exit', (code) => reject(new Error(`the verify server exited (${code}) before it listened`)));
  });
}
