import { PDFDocument, StandardFonts } from 'pdf-lib';

/*
 * Inputs made in the bench, as TESTING.md asks of tests: no binary fixtures in the repository.
 * Pages carry a full page of body text, like a contract, so page count drives file size the way
 * it does for real uploads (a two-line page would understate parsing and copying costs).
 */

const A4: [number, number] = [595.28, 841.89];
const BODY_LINES_PER_PAGE = 48;
const CLAUSE = 'The Supplier shall deliver the Services with reasonable skill and care, in accordance with';

export async function makeContractPdf(pages: number): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const heading = await document.embedFont(StandardFonts.HelveticaBold);
  const body = await document.embedFont(StandardFonts.Helvetica);
  const [width, height] = A4;
  for (let index = 0; index < pages; index++) {
    const page = document.addPage([width, height]);
    page.drawText(`Master services agreement — page ${index + 1} of ${pages}`, {
      x: 50,
      y: height - 70,
      size: 16,
      font: heading,
    });
    for (let line = 0; line < BODY_LINES_PER_PAGE; line++) {
      page.drawText(`${index + 1}.${line + 1} ${CLAUSE} schedule ${line + 1}.`, {
        x: 50,
        y: height - 110 - line * 14,
        size: 9.5,
        font: body,
      });
    }
  }
  return document.save();
}
