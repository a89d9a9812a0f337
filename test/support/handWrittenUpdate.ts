/*
 * Appends an incremental update (ISO 32000-1 §7.5.6) written by hand, byte by byte: new or
 * redefined objects, a cross-reference section for exactly them, and a trailer with /Prev.
 * Deliberately independent of Signet's own writer, so tests can forge what an attacker (or
 * another tool) would append to a signed file.
 */

export interface UpdatedObject {
  number: number;
  /** The object's body in PDF syntax, e.g. `<< /Type /Page … >>` or a stream. */
  body: string | Uint8Array;
}

export function appendIncrementalUpdate(pdf: Uint8Array, objects: UpdatedObject[]): Uint8Array {
  const text = Buffer.from(pdf).toString('latin1');
  const lastStartxref = [...text.matchAll(/startxref\s+(\d+)\s+%%EOF/g)].at(-1);
  if (!lastStartxref) throw new Error('not a PDF: no startxref');
  const previous = Number(lastStartxref[1]);
  const trailer = lastTrailer(text);
  const root = /\/Root\s+(\d+\s+\d+\s+R)/.exec(trailer)?.[1];
  const info = /\/Info\s+(\d+\s+\d+\s+R)/.exec(trailer)?.[1];
  const size = Math.max(
    Number(/\/Size\s+(\d+)/.exec(trailer)?.[1] ?? 0),
    ...objects.map((o) => o.number + 1),
  );
  if (!root) throw new Error('no /Root in the last trailer');

  const chunks: Buffer[] = [Buffer.from(pdf)];
  let offset = pdf.length;
  const push = (chunk: string | Uint8Array) => {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : Buffer.from(chunk);
    chunks.push(buffer);
    offset += buffer.length;
  };
  if (pdf[pdf.length - 1] !== 0x0a) push('\n');
  const offsets = new Map<number, number>();
  for (const object of objects) {
    offsets.set(object.number, offset);
    push(`${object.number} 0 obj\n`);
    push(object.body);
    push('\nendobj\n');
  }
  const xrefOffset = offset;
  push('xref\n0 1\n0000000000 65535 f \n');
  for (const [number, at] of [...offsets].sort(([a], [b]) => a - b)) {
    push(`${number} 1\n${String(at).padStart(10, '0')} 00000 n \n`);
  }
  push(`trailer\n<< /Size ${size} /Root ${root}${info ? ` /Info ${info}` : ''} /Prev ${previous} >>\n`);
  push(`startxref\n${xrefOffset}\n%%EOF\n`);
  return new Uint8Array(Buffer.concat(chunks));
}

/** A content stream object body. */
export function streamBody(content: string): string {
  return `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`;
}

function lastTrailer(text: string): string {
  const classic = [...text.matchAll(/trailer\s*(<<[\s\S]*?>>)\s*startxref/g)].at(-1)?.[1];
  if (classic) return classic;
  // A cross-reference stream: its dictionary carries the trailer entries (§7.5.8.2).
  const xrefStream = [...text.matchAll(/<<((?:(?!>>)[\s\S])*?\/Type\s*\/XRef[\s\S]*?)>>\s*stream/g)].at(
    -1,
  )?.[1];
  if (xrefStream) return xrefStream;
  throw new Error('no trailer found');
}
