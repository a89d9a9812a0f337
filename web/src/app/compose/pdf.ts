import type { PDFDocumentProxy } from 'pdfjs-dist';
import { type PageBox, pageBoxOf } from './geometry.ts';

/*
 * pdf.js, loaded when a page first needs it (the envelope list never pays for it), with its
 * worker bundled by Vite as an asset of this origin (the page's CSP allows workers from 'self').
 */

type PdfJs = typeof import('pdfjs-dist');
let library: Promise<PdfJs> | undefined;

export function pdfjs(): Promise<PdfJs> {
  library ??= (async () => {
    const [lib, worker] = await Promise.all([
      import('pdfjs-dist'),
      import('pdfjs-dist/build/pdf.worker.min.mjs?url'),
    ]);
    lib.GlobalWorkerOptions.workerSrc = worker.default;
    return lib;
  })();
  return library;
}

export interface OpenedPdf {
  pdf: PDFDocumentProxy;
  /** Each page's displayed size in points, as the API measures fields. */
  pages: PageBox[];
}

/** Opens a PDF's bytes (a copy goes to the worker, which takes ownership of what it is given). */
export async function openPdf(bytes: Uint8Array): Promise<OpenedPdf> {
  const lib = await pdfjs();
  const pdf = await lib.getDocument({ data: bytes.slice(), useWasm: false }).promise;
  const pages: PageBox[] = [];
  for (let number = 1; number <= pdf.numPages; number++) {
    const page = await pdf.getPage(number);
    pages.push(pageBoxOf(page.view, page.rotate));
  }
  return { pdf, pages };
}
