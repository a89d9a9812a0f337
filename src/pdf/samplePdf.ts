import { PDFDocument, rgb } from 'pdf-lib';
import { embedFontFace, fitsStandardFonts, showableText, truncateToWidth, wrapToWidth } from './fonts.ts';

/*
 * A document to try Signet with (`signet sample-pdf`), so the README's walkthrough needs no PDF
 * of one's own and no PDF library: one A4 page with a title, a paragraph and two signature lines
 * drawn where the walkthrough places its signers' fields (its coordinates, in points from the
 * top-left corner of the page).
 */

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 60;

const BODY =
  'This sample document was written by `signet sample-pdf` for trying Signet. Upload it as an ' +
  "envelope's document, place each recipient's fields on it, and Signet returns it completed, " +
  'stamped with their values and sealed with a PAdES signature.';

/** Where the walkthrough's signature fields sit: the line is drawn along each box's bottom. */
const SIGNATURE_LINES = [
  { label: 'First signer', top: 600, height: 50 },
  { label: 'Second signer', top: 700, height: 50 },
];

export async function makeSamplePdf(title: string): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  document.setTitle(title);
  document.setCreator('signet sample-pdf');
  const unicode = !fitsStandardFonts([title]);
  const bold = await embedFontFace(document, 'bold', unicode);
  const regular = await embedFontFace(document, 'regular', unicode);
  const [width, height] = A4;
  const page = document.addPage(A4);
  const textWidth = width - 2 * MARGIN;

  const shownTitle = truncateToWidth(bold, 20, showableText(bold, title), textWidth);
  page.drawText(shownTitle, { x: MARGIN, y: height - 90, size: 20, font: bold });

  const lines = wrapToWidth(regular, 11, showableText(regular, BODY), textWidth);
  lines.forEach((line, i) => {
    page.drawText(line, { x: MARGIN, y: height - 140 - i * 16, size: 11, font: regular });
  });

  for (const line of SIGNATURE_LINES) {
    const y = height - line.top - line.height;
    page.drawLine({
      start: { x: MARGIN, y },
      end: { x: MARGIN + 180, y },
      thickness: 0.5,
      color: rgb(0.4, 0.4, 0.4),
    });
    page.drawText(line.label, { x: MARGIN, y: y - 14, size: 9, font: regular, color: rgb(0.4, 0.4, 0.4) });
  }
  return document.save();
}
