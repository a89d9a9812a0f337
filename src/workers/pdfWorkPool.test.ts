import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { objectStreamArrayBomb } from '../../test/support/pdfBombs.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import { DEFAULT_PDF_LIMITS } from '../pdf/limits/pdfBudget.ts';
import { createPdfWorkPool, type PdfWork, type PdfWorkOptions } from './pdfWorkPool.ts';

/*
 * The worker pool's own limits, on real worker threads: what a job may take in time and memory
 * once it has a worker, what happens to the worker that passed them, and a full queue.
 */

const pools: PdfWork[] = [];
function pool(options: Partial<PdfWorkOptions>): PdfWork {
  const created = createPdfWorkPool({
    threads: 1,
    timeoutMs: 120_000,
    memoryMb: 1024,
    queueLimit: 16,
    // Limits high enough that only the time or the memory limit can stop the bomb.
    limits: { ...DEFAULT_PDF_LIMITS, maxObjects: 50_000_000, maxStreamBytes: 64 << 20 },
    ...options,
  });
  pools.push(created);
  return created;
}

describe('the PDF worker pool', () => {
  after(() => Promise.all(pools.map((p) => p.close())));

  it('inspects an ordinary upload on a worker', async () => {
    const info = await pool({}).inspect(await makePdf({ pages: 2 }));
    assert.equal(info.pageCount, 2);
  });

  it('stops a job at its time limit with a clear 422, and the next job gets a fresh worker', async () => {
    const work = pool({ timeoutMs: 1000 });
    await assert.rejects(work.verify(objectStreamArrayBomb(20), { trustAnchors: [] }), {
      code: 'PDF_TOO_COMPLEX',
      status: 422,
      detail: 'the PDF is too complex to process: processing it takes longer than 1 s',
    });
    assert.equal((await work.inspect(await makePdf())).pageCount, 1);
  });

  it('stops a job at its memory limit with a clear 422, and the next job gets a fresh worker', async () => {
    const work = pool({ memoryMb: 128 });
    await assert.rejects(work.verify(objectStreamArrayBomb(20), { trustAnchors: [] }), {
      code: 'PDF_TOO_COMPLEX',
      status: 422,
      detail: 'the PDF is too complex to process: processing it needs more than 128 MB of memory',
    });
    assert.equal((await work.inspect(await makePdf())).pageCount, 1);
  });

  it('answers 503 when more jobs wait than the queue holds, instead of queueing without end', async () => {
    const work = pool({ queueLimit: 1 });
    const bomb = objectStreamArrayBomb(2);
    const jobs = [1, 2, 3, 4].map(() =>
      work.verify(bomb, { trustAnchors: [] }).then(
        () => 'done',
        (e) => e.code,
      ),
    );
    const outcomes = await Promise.all(jobs);
    assert.ok(outcomes.includes('SERVER_BUSY'), outcomes.join(', '));
    assert.ok(outcomes.includes('done'), outcomes.join(', '));
  });
});
