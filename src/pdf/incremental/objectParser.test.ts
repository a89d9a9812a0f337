import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  PDFArray,
  PDFBool,
  PDFContext,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFInvalidObject,
  PDFName,
  PDFNull,
  PDFNumber,
  type PDFObject,
  PDFObjectParser,
  PDFPageLeaf,
  PDFRawStream,
  PDFRef,
  type PDFString,
  StandardFonts,
} from 'pdf-lib';
import { requireTools } from '../../../test/peers/pdfValidators.ts';
import { loadRealWorldPdf, qpdfTransform, REAL_WORLD_FIXTURES } from '../../../test/support/realWorldPdfs.ts';
import { serialize } from './incrementalUpdate.ts';
import { PdfSyntaxError, parsePdfObject } from './objectParser.ts';
import { openPdfFile } from './pdfFile.ts';

const context = PDFContext.create();
const parse = (text: string): PDFObject => parsePdfObject(Buffer.from(text, 'latin1'), 0, context);

/** Two pages whose /Resources name a font per line of text, as pdf-lib writes them: ~1 KiB each. */
async function bigResourcesPdf(): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < 2; p++) {
    const page = document.addPage([300, 400]);
    for (let line = 0; line < 40; line++)
      page.drawText(`line ${line}`, { x: 10, y: 380 - line * 9, size: 8, font });
  }
  return document.save();
}

/** An object's structure as text, however its dictionaries were formatted in the file. */
function canonical(object: PDFObject): string {
  if (object instanceof PDFRawStream) {
    return `${canonical(object.dict)} stream ${Buffer.from(object.contents).toString('hex')}`;
  }
  if (object instanceof PDFDict) {
    return `<<${object
      .entries()
      .map(([key, value]) => `${key.toString()} ${canonical(value)}`)
      .join(' ')}>>`;
  }
  if (object instanceof PDFArray) return `[${object.asArray().map(canonical).join(' ')}]`;
  return object.toString();
}

/** How many of the dictionary's direct values are dictionaries not read yet (written as they were read). */
function steppedOver(dict: PDFDict): number {
  return dict
    .values()
    .filter((value) => value instanceof PDFDict && value.constructor.name === 'DeferredDict').length;
}

/** pdf-lib's own bytes for an object, written the way pdf-lib writes a file. */
function pdfLibBytes(object: PDFObject): Buffer {
  const bytes = new Uint8Array(object.sizeInBytes());
  object.copyBytesInto(bytes, 0);
  return Buffer.from(bytes);
}

describe('the PDF object parser', () => {
  it('reads every kind of object of ISO 32000-1 §7.3', () => {
    assert.equal(parse('true'), PDFBool.True);
    assert.equal(parse('false '), PDFBool.False);
    assert.equal(parse('null'), PDFNull);
    for (const [text, value] of [
      ['42', 42],
      ['-17', -17],
      ['+3', 3],
      ['3.25', 3.25],
      ['-.5', -0.5],
      ['12.', 12],
      ['0.000001', 0.000001],
    ] as const) {
      const number = parse(text);
      assert.ok(number instanceof PDFNumber, text);
      assert.equal(number.asNumber(), value, text);
    }
    assert.equal(parse('12 0 R'), PDFRef.of(12, 0));
    assert.equal(parse('7 3 R'), PDFRef.of(7, 3));
    assert.equal(parse('/Type'), PDFName.of('Type'));
    assert.equal(parse('/A#20B'), PDFName.of('A B'), 'a #xx escape is decoded (§7.3.5)');
    assert.equal((parse('(a (nested) \\) string)') as PDFString).asString(), 'a (nested) \\) string');
    assert.equal((parse('<48656c6C6f>') as PDFHexString).decodeText(), 'Hello');
    assert.equal(parse('<48 65>').toString(), '<48 65>', 'hex digits are kept as written');
  });

  it('tells numbers from references by what follows them', () => {
    const array = parse('[1 0 R 2 3 4 5 6 R 7.5 0 8]') as PDFArray;
    assert.deepEqual(
      array.asArray().map((item) => (item instanceof PDFRef ? item.tag : (item as PDFNumber).asNumber())),
      ['1 0 R', 2, 3, 4, '5 6 R', 7.5, 0, 8],
    );
  });

  it('skips comments and every kind of white-space between tokens', () => {
    const dict = parse('<<%comment\r/Kids\t[ 3 0 R %x\n]\f/Count\x001 >>') as PDFDict;
    assert.equal((dict.get(PDFName.of('Count')) as PDFNumber).asNumber(), 1);
    assert.equal((dict.get(PDFName.of('Kids')) as PDFArray).get(0), PDFRef.of(3, 0));
  });

  it('makes the structure classes pdf-lib makes, so pdf-lib code keeps working on them', () => {
    assert.ok(parse('<</Type/Page/MediaBox[0 0 10 10]>>') instanceof PDFPageLeaf);
    assert.ok(parse('<</Type/Annot>>') instanceof PDFDict);
  });

  it('reads a stream by its /Length, and by its endstream when the /Length is wrong or indirect', () => {
    for (const [text, contents] of [
      ['<</Length 5>>\nstream\r\nhello\r\nendstream', 'hello'],
      ['<</Length 5>>stream\nhe\nlo\nendstream', 'he\nlo'],
      ['<</Length 3>>\nstream\nhello\nendstream', 'hello'],
      ['<</Length 9 0 R>>\nstream\nhello world\r\nendstream', 'hello world'],
    ] as const) {
      const stream = parse(text);
      assert.ok(stream instanceof PDFRawStream, text);
      assert.equal(Buffer.from(stream.contents).toString('latin1'), contents, JSON.stringify(text));
    }
  });

  it('says where an object is not valid PDF, and never overflows the stack', () => {
    for (const text of [
      '(unterminated',
      '<4142',
      '[1 2',
      '<</A 1',
      '<</A 1>> stream\nno end',
      '<<1 2>>',
      '--5',
      '.',
      'nullx',
      ')',
      '',
      '9'.repeat(400),
      `[${'9'.repeat(400)} 0 R]`,
      '['.repeat(100_000),
      '<</A '.repeat(100_000),
    ]) {
      assert.throws(() => parse(text), PdfSyntaxError, JSON.stringify(text.slice(0, 20)));
    }
  });

  describe('a big dictionary inside another object', () => {
    // Foreign formatting: no line breaks, a comment, and strings and hex strings that hold
    // what looks like dictionary brackets.
    const fonts = Array.from({ length: 30 }, (_, i) => `/F${i} ${i + 10} 0 R`).join('');
    const resources = `<</Font<<${fonts}>>%a comment with >> in it\n/ProcSet[/PDF/Text]/Note(a >> b << c \\) d)/Hex<3e3e>>>`;
    const page = `<</Type/Page/Parent 2 0 R/Resources${resources}/MediaBox[0 0 612 792]>>`;

    it('is read only when asked for, and written back as it was until then', () => {
      const parsed = parse(page) as PDFDict;
      const inner = parsed.get(PDFName.of('Resources'));
      assert.ok(inner instanceof PDFDict);
      assert.equal(inner.toString(), resources, 'written back byte for byte');
      assert.equal(parse(page).toString().includes(resources), true);
      assert.equal(
        (parsed.get(PDFName.of('MediaBox')) as PDFArray).size(),
        4,
        'the entries after it are read',
      );
      const fontDict = inner.get(PDFName.of('Font'));
      assert.ok(fontDict instanceof PDFDict);
      assert.equal(fontDict.get(PDFName.of('F29')), PDFRef.of(39, 0));
      assert.equal((inner.get(PDFName.of('Note')) as PDFString).asString(), 'a >> b << c \\) d');
      assert.equal(
        canonical(parsed),
        canonical(PDFObjectParser.forBytes(Buffer.from(page), context).parseObject()),
      );
    });

    it('writes what was changed in it once it is read', () => {
      const parsed = parse(page) as PDFDict;
      const inner = parsed.get(PDFName.of('Resources')) as PDFDict;
      inner.set(PDFName.of('Added'), PDFNumber.of(7));
      const reread = PDFObjectParser.forBytes(serialize(parsed), context).parseObject() as PDFDict;
      const rereadInner = reread.get(PDFName.of('Resources')) as PDFDict;
      assert.equal((rereadInner.get(PDFName.of('Added')) as PDFNumber).asNumber(), 7);
      assert.equal(rereadInner.get(PDFName.of('Font')) instanceof PDFDict, true);
    });

    it('reports damage inside it as PDF_DAMAGED when it is read, and an unclosed one at once', () => {
      const damaged = parse(`<</Resources<</Font<<${fonts}>>/Broken )>>>>`) as PDFDict;
      const inner = damaged.get(PDFName.of('Resources')) as PDFDict;
      assert.throws(() => inner.get(PDFName.of('Font')), { code: 'PDF_DAMAGED' });
      assert.throws(() => parse(`<</Resources<</Font<<${fonts}>>`), PdfSyntaxError);
    });
  });

  it('returns the objects pdf-lib’s own parser returns', () => {
    const samples = [
      '<</Type/Catalog/Pages 2 0 R/Names<</Dests 9 0 R>>/OpenAction[3 0 R/XYZ null null 0]>>',
      '<</Annots[]/Contents[5 0 R]/MediaBox[0 0 595.28 841.89]/Parent 3 0 R/Resources<</Font<</F1 7 0 R>>>>/Type/Page>>',
      '<</Title(Quarterly \\(draft\\) report)/Author<FEFF0041>/Flag true/Missing null/N -0.25>>',
      '[/Name#23 (str) <00ff> [1 [2 [3]]] <</Nested<</Deep 1 0 R>>>>]',
    ];
    for (const sample of samples) {
      const bytes = Buffer.from(sample, 'latin1');
      const ours = parsePdfObject(bytes, 0, context);
      const theirs = PDFObjectParser.forBytes(bytes, context).parseObject();
      assert.equal(pdfLibBytes(ours).toString('latin1'), pdfLibBytes(theirs).toString('latin1'), sample);
      assert.equal(ours.constructor, theirs.constructor, sample);
    }
  });
});

describe('the incremental writer’s serializer', () => {
  it('writes every kind of object byte for byte as pdf-lib does, binary streams and unparsable objects too', () => {
    const stream = context.stream(new Uint8Array([0, 255, 10, 13, 40, 41]), { Filter: 'FlateDecode' });
    const objects: PDFObject[] = [
      parse('<</Type/Page/A[1 2 3 0 R (s\\)) <ab>]/B<</C true/D null>>/E -1.5>>'),
      stream,
      PDFInvalidObject.of(new Uint8Array([1, 2, 3, 0x80])),
      PDFName.of('Name With Space'),
      PDFHexString.fromText('Ünïcode'),
    ];
    for (const object of objects) {
      assert.deepEqual(Buffer.from(serialize(object)), pdfLibBytes(object), object.constructor.name);
    }
  });
});

describe('the PDF object parser on real-world files', () => {
  let workDir = '';
  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'signet-object-parser-'));
  });
  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  // The real-world files, and pages whose /Resources is big enough to be stepped over, as
  // pdf-lib writes them and reformatted by qpdf (indented, and packed into object streams).
  const inputs: { name: string; tools: string[]; make(): Promise<Uint8Array> }[] = [
    ...REAL_WORLD_FIXTURES.map((fixture) => ({
      name: fixture.name,
      tools: fixture.tools,
      make: async () => (await loadRealWorldPdf(fixture, workDir)).bytes,
    })),
    { name: 'pages with big /Resources (pdf-lib)', tools: [], make: bigResourcesPdf },
    {
      name: 'pages with big /Resources (qpdf --qdf)',
      tools: ['qpdf'],
      make: async () =>
        qpdfTransform(workDir, await bigResourcesPdf(), ['--qdf', '--object-streams=disable']),
    },
    {
      name: 'pages with big /Resources (qpdf --object-streams=generate)',
      tools: ['qpdf'],
      make: async () => qpdfTransform(workDir, await bigResourcesPdf(), ['--object-streams=generate']),
    },
  ];

  for (const input of inputs) {
    it(`reads every object of ${input.name} as pdf-lib's loader does, and writes it back as pdf-lib would`, async (t) => {
      if (!requireTools(t, input.tools)) return;
      const bytes = await input.make();
      const file = openPdfFile(bytes);
      // pdf-lib's loader parses every object with its own parser; it keeps the last definition
      // in the file, which is the newest revision's, as the newest xref section says.
      const loaded = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false });
      let compared = 0;
      let stepped = 0;
      for (const [objectNumber, entry] of file.xref) {
        if (entry.kind === 'free') continue;
        const generation = entry.kind === 'offset' ? entry.generation : 0;
        const theirs = loaded.context.lookup(PDFRef.of(objectNumber, generation));
        if (theirs === undefined) continue; // object and xref streams: pdf-lib unpacks and drops them
        const ours = file.lookup(PDFRef.of(objectNumber, generation));
        assert.ok(ours, `object ${objectNumber}`);
        // The incremental writer's serializer against pdf-lib's byte writer, before anything
        // reads the dictionaries the parser stepped over (they are written back as read)…
        if (ours instanceof PDFDict) stepped += steppedOver(ours);
        const written = serialize(ours);
        assert.deepEqual(Buffer.from(written), pdfLibBytes(ours), `object ${objectNumber} written`);
        // Writing a stream sets its /Length to the contents' (pdf-lib's writer does the same).
        pdfLibBytes(theirs);
        // …and what it writes, pdf-lib reads back as the object pdf-lib read from the file.
        const reread = PDFObjectParser.forBytes(written, context).parseObject();
        assert.equal(canonical(reread), canonical(theirs), `object ${objectNumber} read back`);
        assert.equal(canonical(ours), canonical(theirs), `object ${objectNumber}`);
        compared++;
      }
      assert.ok(compared >= 8, `compared ${compared} objects`);
      if (input.name.includes('big /Resources'))
        assert.ok(stepped >= 2, `${stepped} dictionaries stepped over`);
    });
  }
});
