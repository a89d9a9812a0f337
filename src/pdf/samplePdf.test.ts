import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import { requireTools, runTool } from '../../test/peers/pdfValidators.ts';
import { fieldFitsPage } from './composeGeometry.ts';
import { inspectUploadedPdf } from './inspect.ts';
import { makeSamplePdf } from './samplePdf.ts';

/** The README walkthrough's fields, which the sample must carry (README "Your first envelope"). */
const WALKTHROUGH_FIELDS = [
  { x: 60, y: 600, width: 180, height: 50 },
  { x: 260, y: 620, width: 100, height: 20 },
  { x: 60, y: 700, width: 180, height: 50 },
];

describe('the sample PDF (signet sample-pdf)', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'signet-sample-pdf-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('is one A4 page that an upload accepts, with room for every field of the walkthrough', async () => {
    const info = await inspectUploadedPdf(await makeSamplePdf('Consulting agreement'));
    assert.equal(info.pageCount, 1);
    const [page] = info.pages;
    assert.ok(page);
    assert.deepEqual([Math.round(page.width), Math.round(page.height), page.rotation], [595, 842, 0]);
    for (const field of WALKTHROUGH_FIELDS) assert.ok(fieldFitsPage(field, page), JSON.stringify(field));
  });

  it('carries its title in the document information and on the page, in any script', async (t) => {
    const title = 'Договор — Συμφωνία';
    const bytes = await makeSamplePdf(title);
    assert.equal((await PDFDocument.load(bytes)).getTitle(), title);
    if (!requireTools(t, ['pdftotext', 'qpdf'])) return;
    const file = join(work, 'sample.pdf');
    await writeFile(file, bytes);
    const text = await runTool('pdftotext', [file, '-']);
    assert.match(text.stdout, /Договор — Συμφωνία/);
    assert.match(text.stdout, /signet sample-pdf/);
    const check = await runTool('qpdf', ['--check', file]);
    assert.equal(check.exitCode, 0, check.stdout + check.stderr);
  });
});
