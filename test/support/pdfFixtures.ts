import { PDFDocument, StandardFonts } from 'pdf-lib';

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
