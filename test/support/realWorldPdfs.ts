import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { degrees, PDFArray, PDFDict, PDFDocument, PDFName, PDFRef, PDFString, StandardFonts } from 'pdf-lib';
import { openPdfFile } from '../../src/pdf/incremental/pdfFile.ts';
import { saveIncrementally } from '../../src/pdf/incremental/pdfLibRevision.ts';
import { makePdf, pdfWithEmptySignatureField } from './pdfFixtures.ts';

/*
 * PDFs as they arrive from the real world, made in the test by the tools that make them out
 * there (TESTING.md: no binary fixtures in the repository): pdf-lib, qpdf, mutool, LibreOffice
 * and Chromium. Each kind differs in the file structure Signet must read and extend — classic
 * tables, xref and object streams, linearization, earlier incremental updates, an existing
 * signature, a filled-in form — or in page geometry (rotation, mixed sizes).
 *
 * Conversions by LibreOffice and Chromium take seconds, so their output is cached under
 * node_modules/.cache/signet-fixtures/<version>/; raise the version when a maker changes.
 */

export const REAL_WORLD_FIXTURE_VERSION = 'v1';

const run = promisify(execFile);
const TOOL_TIMEOUT_MS = 90_000;
const CACHE_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'node_modules',
  '.cache',
  'signet-fixtures',
  REAL_WORLD_FIXTURE_VERSION,
);

export interface RealWorldPdf {
  bytes: Uint8Array;
  /** Signatures another tool put into the file before upload; they must stay valid. */
  foreignSignatures: number;
  /** DER of the (self-signed) certificate those signatures chain to, for a validator to trust. */
  foreignRoot?: Uint8Array;
}

export interface RealWorldFixture {
  name: string;
  /** Tools the maker runs (for `requireTools`). */
  tools: string[];
  /** Whether the result is cached between runs (slow makers only). */
  cached: boolean;
  make(workDir: string): Promise<RealWorldPdf>;
}

export const REAL_WORLD_FIXTURES: RealWorldFixture[] = [
  {
    name: 'a classic cross-reference table (pdf-lib, no object streams)',
    tools: [],
    cached: false,
    make: async () => ({ bytes: await classicPdf(), foreignSignatures: 0 }),
  },
  {
    name: 'cross-reference and object streams (qpdf --object-streams=generate)',
    tools: ['qpdf'],
    cached: false,
    make: async (workDir) => ({
      bytes: await qpdfTransform(workDir, await classicPdf(), ['--object-streams=generate']),
      foreignSignatures: 0,
    }),
  },
  {
    name: 'a signature already made by another tool (mutool sign, classic table)',
    tools: ['mutool', 'openssl'],
    cached: false,
    make: async (workDir) => ({ ...(await mutoolSigned(workDir, false)), foreignSignatures: 1 }),
  },
  {
    name: 'a signature already made by another tool (mutool sign over object streams)',
    tools: ['mutool', 'openssl', 'qpdf'],
    cached: false,
    make: async (workDir) => ({ ...(await mutoolSigned(workDir, true)), foreignSignatures: 1 }),
  },
  {
    name: 'an AcroForm with filled-in text fields and a checked checkbox (pdf-lib form API)',
    tools: [],
    cached: false,
    make: async () => ({ bytes: await acroFormPdf(), foreignSignatures: 0 }),
  },
  {
    name: 'an earlier incremental update (an annotation and a new title appended)',
    tools: [],
    cached: false,
    make: async () => ({ bytes: await incrementallyUpdatedPdf(), foreignSignatures: 0 }),
  },
  {
    name: 'a linearized file (qpdf --linearize)',
    tools: ['qpdf'],
    cached: false,
    make: async (workDir) => ({
      bytes: await qpdfTransform(workDir, await classicPdf(), ['--linearize']),
      foreignSignatures: 0,
    }),
  },
  {
    name: 'a LibreOffice Writer export (soffice --convert-to pdf)',
    tools: ['soffice'],
    cached: true,
    make: async (workDir) => ({ bytes: await libreOfficePdf(workDir), foreignSignatures: 0 }),
  },
  {
    name: 'a Chromium print-to-PDF',
    tools: ['chromium'],
    cached: true,
    make: async (workDir) => ({ bytes: await chromiumPdf(workDir), foreignSignatures: 0 }),
  },
  {
    name: 'pages with /Rotate 90 and /Rotate 270',
    tools: [],
    cached: false,
    make: async () => ({ bytes: await rotatedPdf(), foreignSignatures: 0 }),
  },
  {
    name: 'mixed page sizes (A4, Letter, A3 landscape)',
    tools: [],
    cached: false,
    make: async () => ({ bytes: await mixedSizesPdf(), foreignSignatures: 0 }),
  },
];

/** Makes the fixture, or reads it from the cache when the maker is slow and ran before. */
export async function loadRealWorldPdf(fixture: RealWorldFixture, workDir: string): Promise<RealWorldPdf> {
  if (!fixture.cached) return fixture.make(workDir);
  const file = join(CACHE_DIR, `${slug(fixture.name)}.pdf`);
  try {
    return { bytes: new Uint8Array(await readFile(file)), foreignSignatures: 0 };
  } catch {
    const made = await fixture.make(workDir);
    if (made.foreignSignatures !== 0) throw new Error('only unsigned fixtures are cached');
    await mkdir(CACHE_DIR, { recursive: true });
    // Written aside and renamed, so a parallel run never reads half a file.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, made.bytes);
    await rename(partial, file);
    return made;
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs that must be refused with a clear error.

/** qpdf's AES-256 encryption with a user and an owner password. */
export async function encryptedPdf(workDir: string): Promise<Uint8Array> {
  return qpdfTransform(workDir, await classicPdf(), ['--encrypt', 'u', 'o', '256', '--']);
}

/** Cut off in the middle, as an interrupted upload would be. */
export async function truncatedPdf(source?: Uint8Array): Promise<Uint8Array> {
  const bytes = source ?? (await classicPdf());
  return bytes.slice(0, Math.floor(bytes.length / 2));
}

/** The last cross-reference table overwritten with garbage, everything else intact. */
export async function garbageXrefPdf(source?: Uint8Array): Promise<Uint8Array> {
  const bytes = Buffer.from(source ?? (await classicPdf()));
  const xref = bytes.lastIndexOf('xref\n', bytes.lastIndexOf('startxref'), 'latin1');
  if (xref < 0) throw new Error('the source has no classic cross-reference table');
  bytes.write('xref\n0 9\nGARBAGE 00000 n\r\n#@!?', xref, 'latin1');
  return new Uint8Array(bytes);
}

// ---------------------------------------------------------------------------------------------
// Makers.

/** Two A4 pages of text, saved by pdf-lib with a classic table and no object streams. */
export async function classicPdf(): Promise<Uint8Array> {
  // makePdf saves with pdf-lib's defaults, which are object streams and an xref stream.
  const document = await PDFDocument.load(await makePdf({ pages: 2, text: 'Real-world agreement' }));
  return document.save({ useObjectStreams: false });
}

export async function qpdfTransform(workDir: string, input: Uint8Array, args: string[]): Promise<Uint8Array> {
  const inPath = join(workDir, `qpdf-in-${unique()}.pdf`);
  const outPath = join(workDir, `qpdf-out-${unique()}.pdf`);
  await writeFile(inPath, input);
  await run('qpdf', [...args, inPath, outPath], { timeout: TOOL_TIMEOUT_MS });
  return new Uint8Array(await readFile(outPath));
}

/**
 * An empty signature field signed by `mutool sign` with a PKCS#12 from its own self-signed
 * OpenSSL certificate — another tool and another CA than anything Signet or its tests use.
 */
async function mutoolSigned(
  workDir: string,
  objectStreams: boolean,
): Promise<{ bytes: Uint8Array; foreignRoot: Uint8Array }> {
  const dir = await mkdtemp(join(workDir, 'mutool-'));
  const { pdf } = await pdfWithEmptySignatureField(await classicPdf());
  const input = objectStreams ? await qpdfTransform(dir, pdf, ['--object-streams=generate']) : pdf;
  await writeFile(join(dir, 'in.pdf'), input);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir, timeout: TOOL_TIMEOUT_MS });
  await openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'foreign.key',
    '-out',
    'foreign.pem',
    '-days',
    '30',
    '-subj',
    '/O=Another Vendor/CN=Foreign Signer',
  );
  await openssl(
    'pkcs12',
    '-export',
    '-inkey',
    'foreign.key',
    '-in',
    'foreign.pem',
    '-out',
    'foreign.p12',
    '-passout',
    'pass:foreign',
  );
  // qpdf renumbers objects, so the field is looked up in the file mutool will sign.
  const field = emptySignatureFieldNumber(input);
  await run(
    'mutool',
    ['sign', '-s', 'foreign.p12', '-P', 'foreign', '-o', 'signed.pdf', 'in.pdf', `${field}`],
    {
      cwd: dir,
      timeout: TOOL_TIMEOUT_MS,
    },
  );
  return {
    bytes: new Uint8Array(await readFile(join(dir, 'signed.pdf'))),
    foreignRoot: new Uint8Array(new X509Certificate(await readFile(join(dir, 'foreign.pem'))).raw),
  };
}

function emptySignatureFieldNumber(pdf: Uint8Array): number {
  const file = openPdfFile(pdf);
  const acroForm = file.resolve(file.catalog().get(PDFName.of('AcroForm')));
  const fields = acroForm instanceof PDFDict ? file.resolve(acroForm.get(PDFName.of('Fields'))) : undefined;
  const first = fields instanceof PDFArray ? fields.get(0) : undefined;
  if (!(first instanceof PDFRef)) throw new Error('the fixture has no signature field');
  return first.objectNumber;
}

async function acroFormPdf(): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  const form = document.getForm();
  for (const pageNumber of [1, 2]) {
    const page = document.addPage([595.28, 841.89]);
    page.drawText(`Application form — page ${pageNumber}`, { x: 50, y: 780, size: 16, font });
  }
  const first = document.getPage(0);
  const company = form.createTextField('company');
  company.setText('Northwind Traders');
  company.addToPage(first, { x: 300, y: 600, width: 200, height: 22 });
  const reference = form.createTextField('reference');
  reference.setText('REF-2026-0042');
  reference.addToPage(first, { x: 300, y: 560, width: 200, height: 22 });
  const agree = form.createCheckBox('agree');
  agree.addToPage(first, { x: 300, y: 520, width: 16, height: 16 });
  agree.check();
  return document.save({ useObjectStreams: false });
}

/** A classic file plus one update appended the way a viewer adds a sticky note. */
async function incrementallyUpdatedPdf(): Promise<Uint8Array> {
  return saveIncrementally(await classicPdf(), async (document) => {
    const page = document.getPage(0);
    const note = document.context.register(
      document.context.obj({
        Type: 'Annot',
        Subtype: 'Text',
        Rect: [400, 700, 420, 720],
        Contents: PDFString.of('Please sign by Friday.'),
        F: 4,
      }),
    );
    const annotations = page.node.Annots();
    if (annotations) annotations.push(note);
    else page.node.set(PDFName.of('Annots'), document.context.obj([note]));
    document.setTitle('Agreement (annotated)');
  });
}

async function rotatedPdf(): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  for (const rotation of [90, 270]) {
    const page = document.addPage([595.28, 841.89]);
    page.setRotation(degrees(rotation));
    page.drawText(`Stored upright, displayed turned by ${rotation} degrees`, {
      x: 50,
      y: 780,
      size: 14,
      font,
    });
  }
  return document.save({ useObjectStreams: false });
}

async function mixedSizesPdf(): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  const sizes: [string, [number, number]][] = [
    ['A4 portrait', [595.28, 841.89]],
    ['Letter portrait', [612, 792]],
    ['A3 landscape', [1190.55, 841.89]],
  ];
  for (const [label, size] of sizes) {
    const page = document.addPage(size);
    page.drawText(label, { x: 50, y: size[1] - 60, size: 16, font });
  }
  return document.save({ useObjectStreams: false });
}

const AGREEMENT_TEXT = 'The parties agree to the terms set out in this document.';

/** A small flat ODT (one XML file, ODF 1.3 §3.1.3) converted by Writer, with a fresh profile. */
async function libreOfficePdf(workDir: string): Promise<Uint8Array> {
  const dir = await mkdtemp(join(workDir, 'soffice-'));
  const profile = await mkdtemp(join(tmpdir(), 'signet-soffice-profile-'));
  try {
    await writeFile(
      join(dir, 'agreement.fodt'),
      `<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"
  office:mimetype="application/vnd.oasis.opendocument.text">
  <office:body><office:text>
    <text:h text:outline-level="1">Service Agreement</text:h>
    <text:p>${AGREEMENT_TEXT}</text:p>
    <text:p>Zoë Dupont and Ada Lovelace sign below.</text:p>
  </office:text></office:body>
</office:document>
`,
    );
    await run(
      'soffice',
      [
        `-env:UserInstallation=file://${profile}`,
        '--headless',
        '--convert-to',
        'pdf',
        '--outdir',
        dir,
        join(dir, 'agreement.fodt'),
      ],
      { timeout: TOOL_TIMEOUT_MS },
    );
    return new Uint8Array(await readFile(join(dir, 'agreement.pdf')));
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** An HTML page printed by headless Chromium, with a fresh profile and no network. */
async function chromiumPdf(workDir: string): Promise<Uint8Array> {
  const dir = await mkdtemp(join(workDir, 'chromium-'));
  const profile = await mkdtemp(join(tmpdir(), 'signet-chromium-profile-'));
  try {
    const html = join(dir, 'agreement.html');
    await writeFile(
      html,
      `<!doctype html><html><head><meta charset="utf-8"><title>Agreement</title>
<style>body { font-family: sans-serif; margin: 2cm } td { border: 1px solid #888; padding: 8px }</style>
</head><body><h1>Service Agreement</h1><p>${AGREEMENT_TEXT}</p>
<table><tr><td>Party</td><td>Signature</td></tr><tr><td>Ada Lovelace</td><td style="height: 3cm; width: 8cm"></td></tr></table>
</body></html>
`,
    );
    const output = join(dir, 'agreement.pdf');
    await run(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--no-pdf-header-footer',
        `--print-to-pdf=${output}`,
        `file://${html}`,
      ],
      { timeout: TOOL_TIMEOUT_MS },
    );
    return new Uint8Array(await readFile(output));
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

function unique(): string {
  return Math.random().toString(36).slice(2);
}
