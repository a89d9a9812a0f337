import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import pLimit from 'p-limit';
import { Piscina } from 'piscina';
import { SignetError } from '../errors.ts';
import type { ComposeInput } from '../pdf/compose.ts';
import type { UploadedPdfInfo } from '../pdf/inspect.ts';
import { type PdfLimits, PdfTooComplexError } from '../pdf/limits/pdfBudget.ts';
import type { VerificationReport } from '../verify/report.ts';
import type { PdfTask, PdfTaskOutcome, PdfTaskResults } from './pdfTasks.ts';

/*
 * Heavy PDF work (inspecting uploads, verifying, composing at sealing) runs here, on worker
 * threads (piscina), never on the event loop that answers requests. Each job gets:
 * - the PDF limits (pdfBudget.ts), charged while it decodes and parses;
 * - a time limit: past it the worker is terminated (the only way to stop synchronous work)
 *   and replaced;
 * - a memory limit: the worker's V8 heap is capped, so a job that needs more dies alone;
 * - a lower scheduling priority (nice +10), so on a single core the threads answering
 *   requests run first and the PDF work gets what is left.
 * Jobs wait for a free worker in a bounded queue in front of the pool (p-limit), so the time
 * limit measures the job's own run, and a full queue answers 503 rather than growing.
 */

export interface PdfWorkOptions {
  /** Worker threads. */
  threads: number;
  /** Longest a job may run once it has a worker. */
  timeoutMs: number;
  /** V8 heap of each worker, in MB: the memory limit of one job. */
  memoryMb: number;
  /** Jobs that may wait for a worker; more are refused with 503. */
  queueLimit: number;
  limits: PdfLimits;
}

export interface PdfWork {
  inspect(bytes: Uint8Array): Promise<UploadedPdfInfo>;
  /** Verifies with embedded revocation data only (a public route must not fetch the uploader's URLs). */
  verify(bytes: Uint8Array, options: { trustAnchors: Uint8Array[]; now?: Date }): Promise<VerificationReport>;
  compose(input: ComposeInput): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Lower priority than the request threads: nice values are per thread on Linux. */
const WORKER_NICE_INCREMENT = 10;
/** The young generation holds short-lived parse objects; it is part of the per-job memory. */
const YOUNG_GENERATION_MB = 32;

export function createPdfWorkPool(options: PdfWorkOptions): PdfWork {
  // The sources run through tsx in tests and development; the build runs compiled .js.
  const extension = extname(fileURLToPath(import.meta.url));
  const filename = new URL(`./pdfTasks${extension}`, import.meta.url).href;
  const pool = new Piscina({
    filename,
    ...(extension === '.ts' ? { execArgv: withTsxLoader(process.execArgv) } : {}),
    minThreads: options.threads,
    maxThreads: options.threads,
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    niceIncrement: WORKER_NICE_INCREMENT,
    resourceLimits: {
      maxOldGenerationSizeMb: options.memoryMb,
      maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
    },
  });
  const slots = pLimit(options.threads);

  async function run<K extends PdfTask['kind']>(task: PdfTask & { kind: K }): Promise<PdfTaskResults[K]> {
    if (slots.pendingCount >= options.queueLimit) throw busy();
    const queuedAt = Date.now();
    const outcome = await slots(() => {
      // A job that waited as long as it may run is refused, not started late.
      if (Date.now() - queuedAt > options.timeoutMs) throw busy();
      return runOnWorker(pool, task, options);
    });
    if (!outcome.ok) {
      const { code, detail, errors } = outcome.error;
      throw new SignetError(code, detail, errors);
    }
    return outcome.value as PdfTaskResults[K];
  }

  return {
    inspect: (bytes) => run({ kind: 'inspect', bytes, limits: options.limits }),
    verify: (bytes, { trustAnchors, now }) =>
      run({
        kind: 'verify',
        bytes,
        trustAnchors,
        limits: options.limits,
        ...(now ? { now: now.toISOString() } : {}),
      }),
    compose: (input) => run({ kind: 'compose', input, limits: options.limits }),
    close: () => pool.destroy(),
  };
}

/**
 * A worker thread gets the loaders of its process's command line, not those registered at run
 * time: `signet` in an edited checkout registers tsx through its API (bin/signet.mjs), so the
 * worker is told to load it itself.
 */
function withTsxLoader(execArgv: string[]): string[] {
  const loaded = execArgv.some((argument, index) => argument === 'tsx' && execArgv[index - 1] === '--import');
  return loaded || execArgv.includes('--import=tsx') ? execArgv : [...execArgv, '--import', 'tsx'];
}

/**
 * Runs `task` on a worker. Its time limit starts when the worker starts it (a worker that
 * replaces a terminated one takes a moment to load), which the task reports on a port.
 */
async function runOnWorker(
  pool: Piscina,
  task: PdfTask,
  options: PdfWorkOptions,
): Promise<PdfTaskOutcome<unknown>> {
  const abort = new AbortController();
  const { port1: startedHere, port2: started } = new MessageChannel();
  let deadline: NodeJS.Timeout | undefined;
  startedHere.once('message', () => {
    deadline = setTimeout(() => abort.abort(), options.timeoutMs);
  });
  try {
    return await pool.run({ ...task, started }, { signal: abort.signal, transferList: [started] });
  } catch (error) {
    const name = (error as Error).name;
    const code = (error as { code?: string }).code;
    if (name === 'AbortError') {
      throw new PdfTooComplexError(
        'time',
        `processing it takes longer than ${Math.round(options.timeoutMs / 1000)} s`,
      );
    }
    if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
      throw new PdfTooComplexError(
        'memory',
        `processing it needs more than ${options.memoryMb} MB of memory`,
      );
    }
    throw error;
  } finally {
    clearTimeout(deadline);
    startedHere.close();
  }
}

function busy(): SignetError {
  return new SignetError(
    'SERVER_BUSY',
    'Too many documents are being processed right now; try again in a minute.',
  );
}
