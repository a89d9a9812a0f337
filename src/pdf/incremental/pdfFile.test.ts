import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PDFArray, type PDFDict, PDFDocument, PDFName, PDFNumber, type PDFRef } from 'pdf-lib';
import { openPdfFile } from './pdfFile.ts';

/** Seven pages of widths 101…107, hung in a page tree of uneven depth (ISO 32000-1 §7.7.3.2). */
async function nestedPageTree(): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const pages = Array.from({ length: 7 }, (_, i) => document.addPage([101 + i, 200]));
  const context = document.context;
  const rootRef = document.catalog.get(PDFName.of('Pages')) as PDFRef;
  const intermediate = (parent: PDFRef, kids: PDFRef[], count: number): PDFRef => {
    const node = context.obj({ Type: 'Pages', Parent: parent, Kids: kids, Count: count });
    const ref = context.register(node);
    for (const kid of kids) (context.lookup(kid) as PDFDict).set(PDFName.of('Parent'), ref);
    return ref;
  };
  const refs = pages.map((page) => page.ref);
  const [p1, p2, p3, p4, p5, p6, p7] = refs as [PDFRef, PDFRef, PDFRef, PDFRef, PDFRef, PDFRef, PDFRef];
  // root → [A(p1 p2 p3), p4, B(C(p5 p6), p7)], and an empty intermediate node D before p4.
  const a = intermediate(rootRef, [p1, p2, p3], 3);
  const d = intermediate(rootRef, [], 0);
  const b = intermediate(rootRef, [], 3);
  const c = intermediate(b, [p5, p6], 2);
  const bDict = context.lookup(b) as PDFDict;
  bDict.set(PDFName.of('Kids'), context.obj([c, p7]));
  (context.lookup(p7) as PDFDict).set(PDFName.of('Parent'), b);
  (context.lookup(p4) as PDFDict).set(PDFName.of('Parent'), rootRef);
  const root = context.lookup(rootRef) as PDFDict;
  root.set(PDFName.of('Kids'), context.obj([a, d, p4, b]));
  root.set(PDFName.of('Count'), PDFNumber.of(7));
  return document.save({ useObjectStreams: false });
}

function widthOf(pdf: ReturnType<typeof openPdfFile>, ref: PDFRef | undefined): number | undefined {
  assert.ok(ref);
  const page = pdf.lookup(ref) as PDFDict;
  const box = page.get(PDFName.of('MediaBox')) as PDFArray;
  return (box.get(2) as PDFNumber).asNumber();
}

describe('the lazy page tree', () => {
  it('finds every page of an uneven tree in document order, one page at a time', async () => {
    const file = openPdfFile(await nestedPageTree());
    const widths = file.pageRefs().map((ref) => widthOf(file, ref));
    assert.deepEqual(widths, [101, 102, 103, 104, 105, 106, 107]);
    for (let index = 0; index < 7; index++) {
      assert.equal(widthOf(file, file.pageRef(index)), 101 + index, `page ${index + 1}`);
    }
    assert.equal(file.pageRef(7), undefined);
    assert.equal(file.pageRef(-1), undefined);
  });

  it('reads no other page when the wanted one is found by position in a flat tree', async () => {
    const document = await PDFDocument.create();
    for (let i = 0; i < 50; i++) document.addPage([300 + i, 300]);
    const file = openPdfFile(await document.save());
    const lookups: number[] = [];
    const lookup = file.lookup.bind(file);
    file.lookup = (ref) => {
      lookups.push(ref.objectNumber);
      return lookup(ref);
    };
    assert.equal(widthOf(file, file.pageRef(41)), 341);
    // The catalog, the page-tree root, the page (and the object stream holding them).
    assert.ok(lookups.length <= 5, `looked up ${lookups.length} objects`);
  });
});
