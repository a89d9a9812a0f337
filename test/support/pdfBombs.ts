import { deflateSync } from 'node:zlib';

/*
 * Hostile PDFs, built in the test (TESTING.md: no binary fixtures): each is a valid one-page
 * document whose extra objects cost a reader far more than their size. Written by hand, byte by
 * byte, because the point is what a generator would never write.
 */

const MiB = 1024 * 1024;

interface ExtraObject {
  /** The object's body, between `n 0 obj` and `endobj`. */
  body: Buffer;
}

/** A one-page PDF with `extras` as objects 5, 6, …, and the catalog's extra entries. */
function documentWith(extras: ExtraObject[], catalogExtra = ''): Buffer {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let length = 0;
  const push = (part: Buffer | string) => {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
    parts.push(bytes);
    length += bytes.length;
  };
  push('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  const objects = [
    Buffer.from(`<< /Type /Catalog /Pages 2 0 R ${catalogExtra}>>`, 'latin1'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>', 'latin1'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>', 'latin1'),
    Buffer.from('<< /Length 0 >>\nstream\n\nendstream', 'latin1'),
    ...extras.map((extra) => extra.body),
  ];
  objects.forEach((body, index) => {
    offsets[index + 1] = length;
    push(`${index + 1} 0 obj\n`);
    push(body);
    push('\nendobj\n');
  });
  const xref = length;
  let table = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (let i = 1; i <= objects.length; i++) table += `${String(offsets[i]).padStart(10, '0')} 00000 n \n`;
  push(`${table}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(parts);
}

function flateStream(dictionary: string, decoded: Buffer): Buffer {
  const data = deflateSync(decoded, { level: 9 });
  return Buffer.concat([
    Buffer.from(`<< ${dictionary} /Filter /FlateDecode /Length ${data.length} >>\nstream\n`, 'latin1'),
    data,
    Buffer.from('\nendstream', 'latin1'),
  ]);
}

/**
 * An object stream holding one array of `decodedMiB` MiB of zeros: ~1,000 times smaller than it
 * inflates, and half a million objects per MiB to build — the finding's 21 kB, 20 MB file.
 */
export function objectStreamArrayBomb(decodedMiB: number): Buffer {
  const header = '10 0 '.padEnd(20, ' ');
  const array = `[${'0 '.repeat(Math.floor((decodedMiB * MiB) / 2))}]`;
  return documentWith([
    {
      body: flateStream(`/Type /ObjStm /N 1 /First ${header.length}`, Buffer.from(header + array, 'latin1')),
    },
  ]);
}

/** An object stream of `decodedMiB` MiB of white space: costly only to inflate. */
export function objectStreamInflationBomb(decodedMiB: number): Buffer {
  const header = '10 0 '.padEnd(20, ' ');
  const content = Buffer.alloc(Math.floor(decodedMiB * MiB), 0x20);
  content.write(header, 0, 'latin1');
  content.write('null', header.length, 'latin1');
  return documentWith([{ body: flateStream(`/Type /ObjStm /N 1 /First ${header.length}`, content) }]);
}

/** The Document Security Store's one "certificate" inflates to `decodedMiB` MiB. */
export function dssBomb(decodedMiB: number): Buffer {
  const certificate = flateStream('', Buffer.alloc(Math.floor(decodedMiB * MiB)));
  return documentWith(
    [{ body: Buffer.from('<< /Certs [6 0 R] >>', 'latin1') }, { body: certificate }],
    '/DSS 5 0 R ',
  );
}

/** One object nested `depth` arrays deep: a stack attack on recursive parsers. */
export function nestingBomb(depth: number): Buffer {
  return documentWith([{ body: Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`, 'latin1') }]);
}

/** A small document followed by `updates` empty incremental updates (ISO 32000-1 §7.5.6). */
export function manyRevisions(updates: number): Buffer {
  let pdf = documentWith([]);
  let previous = startXref(pdf);
  for (let i = 0; i < updates; i++) {
    const at = pdf.length;
    const update = `xref\n0 0\ntrailer\n<< /Size 5 /Root 1 0 R /Prev ${previous} >>\nstartxref\n${at}\n%%EOF\n`;
    pdf = Buffer.concat([pdf, Buffer.from(update, 'latin1')]);
    previous = at;
  }
  return pdf;
}

function startXref(pdf: Buffer): number {
  const match = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(pdf.toString('latin1', pdf.length - 64));
  return Number(match?.[1] ?? 0);
}
