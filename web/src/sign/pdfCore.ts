/*
 * The parts of pdf.js the ceremony uses, imported by name so the bundler drops the rest (the
 * annotation, text and XFA layers, the editor): web/src/sign/pdf.ts loads this module lazily.
 */
export { GlobalWorkerOptions, getDocument, version } from 'pdfjs-dist';
