/*
 * The bench's peer for the signing ceremony: pdf.js's own viewer component (pdfjs-dist's
 * PDFViewer, as its "simpleviewer" example uses it) showing the same PDF, built by Vite the same
 * way. It is ready when the first page has been painted, as the ceremony is.
 */
import { GlobalWorkerOptions, getDocument } from 'pdfjs-dist';
import { EventBus, PDFLinkService, PDFViewer } from 'pdfjs-dist/web/pdf_viewer.mjs';
import 'pdfjs-dist/web/pdf_viewer.css';

GlobalWorkerOptions.workerSrc = new URL('pdfjs-dist/build/pdf.worker.min.mjs', import.meta.url).toString();

const container = document.getElementById('viewerContainer') as HTMLDivElement;
const eventBus = new EventBus();
const linkService = new PDFLinkService({ eventBus });
const viewer = new PDFViewer({ container, eventBus, linkService });
linkService.setViewer(viewer);
eventBus.on('pagerendered', () => {
  if (document.documentElement.dataset.ready) return;
  (window as unknown as { readyAt: number }).readyAt = performance.now();
  document.documentElement.dataset.ready = 'true';
});
const pdf = await getDocument({ url: new URLSearchParams(location.search).get('file') ?? '/document.pdf' })
  .promise;
viewer.setDocument(pdf);
linkService.setDocument(pdf);
