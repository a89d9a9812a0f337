import type { PDFDocumentProxy } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

/*
 * pdf.js, loaded only when the first document is due, so the ceremony's first screen (identity,
 * consent) does not wait for it. Its worker parses; pages render on the main thread into
 * canvases the ceremony creates and drops as they come near the viewport and leave it.
 * Fonts a PDF does not embed, CMaps and the image decoders' WebAssembly come from
 * /assets/pdfjs-<version>/ (copied there by web/vite.config.ts).
 */

type PdfJs = typeof import('./pdfCore.ts');
let loading: Promise<PdfJs> | undefined;

export function loadPdfJs(): Promise<PdfJs> {
  loading ??= import('./pdfCore.ts').then((lib) => {
    lib.GlobalWorkerOptions.workerSrc = workerUrl;
    return lib;
  });
  return loading;
}

export async function openPdf(bytes: Uint8Array): Promise<PDFDocumentProxy> {
  const lib = await loadPdfJs();
  const assets = `/assets/pdfjs-${lib.version}/`;
  return lib.getDocument({
    data: bytes,
    standardFontDataUrl: `${assets}standard_fonts/`,
    cMapUrl: `${assets}cmaps/`,
    wasmUrl: `${assets}wasm/`,
    iccUrl: `${assets}iccs/`,
    enableXfa: false,
  }).promise;
}
