import { PDFDocument, PDFName, PDFString, StandardFonts } from 'pdf-lib';

/** PDFs made in the test, as TESTING.md asks: no binary fixtures in the repository. */
export async function makePdf(options: { pages?: number; size?: [number, number]; text?: string } = {}) {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const [width, height] = options.size ?? [595.28, 841.89];
  for (let i = 0; i < (options.pages ?? 1); i++) {
    const page = doc.addPage([width, height]);
    page.drawText(`${options.text ?? 'Agreement'} — page ${i + 1}`, {
      x: 50,
      y: height - 80,
      size: 18,
      font,
    });
    page.drawText('The parties agree to the terms set out in this document.', {
      x: 50,
      y: height - 120,
      size: 11,
      font,
    });
  }
  return Buffer.from(await doc.save());
}

/** A PDF with one empty, invisible signature field, as `mutool sign` needs one to sign. */
export async function pdfWithEmptySignatureField(
  source?: Uint8Array,
): Promise<{ pdf: Uint8Array; fieldObject: number }> {
  const document = await PDFDocument.load(source ?? (await makePdf({ pages: 1 })));
  const page = document.getPage(0);
  const field = document.context.obj({
    Type: 'Annot',
    Subtype: 'Widget',
    FT: 'Sig',
    T: PDFString.of('Foreign'),
    Rect: [0, 0, 0, 0],
    F: 4,
    P: page.ref,
  });
  const fieldRef = document.context.register(field);
  const annotations = page.node.Annots();
  if (annotations) annotations.push(fieldRef);
  else page.node.set(PDFName.of('Annots'), document.context.obj([fieldRef]));
  document.catalog.set(PDFName.of('AcroForm'), document.context.obj({ Fields: [fieldRef] }));
  return { pdf: await document.save({ useObjectStreams: false }), fieldObject: fieldRef.objectNumber };
}
