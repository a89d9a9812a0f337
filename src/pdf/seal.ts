import { createHash } from 'node:crypto';
import { SignPdf } from '@signpdf/signpdf';
import { Signer } from '@signpdf/utils';
import { SignetError } from '../errors.ts';
import type { SealingIdentity } from '../pki/signer.ts';
import { createPadesCms } from './cms.ts';
import { openPdf } from './inspect.ts';
import { addSignaturePlaceholder } from './sealPlaceholder.ts';

/*
 * Seals a freshly composed PDF with a PAdES baseline B-B signature (ETSI EN 319 142-1):
 * SubFilter ETSI.CAdES.detached, invisible, covering the whole file.
 *
 * This rewrites the document with pdf-lib, which would break any signature already in it
 * (pdf-lib cannot save incrementally), so documents that are already signed are refused.
 */

export interface SealOptions {
  reason?: string;
  location?: string;
  /** Name of the sealing party, for readers that do not take it from the certificate. */
  name?: string;
  contactInfo?: string;
}

export async function sealPdf(
  pdf: Uint8Array,
  identity: SealingIdentity,
  options: SealOptions = {},
): Promise<Uint8Array> {
  assertNotSigned(pdf);
  const document = await openPdf(pdf);
  addSignaturePlaceholder(document, { ...options, signingTime: new Date() });
  // A classic cross-reference table rather than an object stream: every reader locates the
  // signature dictionary, and a later incremental update can append to the file as it is.
  const prepared = await document.save({ useObjectStreams: false });
  const sealed = await new SignPdf().sign(Buffer.from(prepared), new PadesCmsSigner(identity));
  return new Uint8Array(sealed.buffer, sealed.byteOffset, sealed.byteLength);
}

/**
 * Any /ByteRange means a signature or document time-stamp that rewriting would invalidate.
 * Searching the raw bytes is enough: a signature's /Contents must sit uncompressed in the file
 * for its ByteRange to exclude it, so its dictionary cannot hide in an object stream.
 */
function assertNotSigned(pdf: Uint8Array): void {
  if (Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).includes('/ByteRange')) {
    throw new SignetError(
      'PDF_ALREADY_SIGNED',
      422,
      'the document already carries a signature, which sealing it would invalidate',
    );
  }
}

/**
 * The bridge @signpdf/signpdf calls with the bytes covered by /ByteRange. Its stock signers
 * add a CMS signing-time attribute, which PAdES baseline signatures must not carry; this one
 * builds the CMS with `createPadesCms` and ignores the signing time signpdf offers (the claimed
 * time is in /M).
 */
class PadesCmsSigner extends Signer {
  readonly #identity: SealingIdentity;

  constructor(identity: SealingIdentity) {
    super();
    this.#identity = identity;
  }

  override async sign(signedContent: Buffer): Promise<Buffer> {
    const messageDigest = createHash('sha256').update(signedContent).digest();
    return Buffer.from(await createPadesCms(messageDigest, this.#identity));
  }
}
