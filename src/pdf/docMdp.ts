import { PDFArray, PDFDict, type PDFDocument, PDFName, PDFNumber } from 'pdf-lib';

/*
 * DocMDP (ISO 32000-1 §12.8.2.2): a certification signature says which changes the document
 * may still undergo — 1 none, 2 filling in forms and signing, 3 also annotations. The verifier
 * judges later revisions by it; the upload gate refuses documents Signet could not complete
 * without breaking it.
 */

export type DocMdpPermission = 1 | 2 | 3;

/** The permission a signature dictionary's DocMDP reference grants, if it certifies. */
export function docMdpPermissionOf(document: PDFDocument, signature: PDFDict): DocMdpPermission | undefined {
  const references = signature.lookupMaybe(PDFName.of('Reference'), PDFArray);
  for (const item of references?.asArray() ?? []) {
    const reference = document.context.lookup(item);
    if (!(reference instanceof PDFDict)) continue;
    if (reference.lookupMaybe(PDFName.of('TransformMethod'), PDFName)?.decodeText() !== 'DocMDP') continue;
    const params = reference.lookupMaybe(PDFName.of('TransformParams'), PDFDict);
    const p = params?.lookupMaybe(PDFName.of('P'), PDFNumber)?.asNumber() ?? 2; // §12.8.2.2: default 2
    return p === 1 || p === 3 ? p : 2;
  }
  return undefined;
}

/** The document's certification level: the catalog's /Perms /DocMDP signature (§12.8.4). */
export function documentDocMdpPermission(document: PDFDocument): DocMdpPermission | undefined {
  const perms = document.catalog.lookupMaybe(PDFName.of('Perms'), PDFDict);
  const signature = perms?.lookupMaybe(PDFName.of('DocMDP'), PDFDict);
  return signature ? docMdpPermissionOf(document, signature) : undefined;
}
