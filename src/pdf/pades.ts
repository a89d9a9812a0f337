import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { SignetError } from '../errors.ts';
import type { SealingIdentity } from '../pki/signer.ts';
import { CMS_OID, createPadesCms } from './cms.ts';
import { appendDss, type SignatureValidationMaterial, type ValidationMaterial } from './incremental/dss.ts';
import { PdfBuffer } from './incremental/pdfBuffer.ts';
import type { VisibleSignature } from './incremental/signatureAppearance.ts';
import { appendSignatureRevision } from './incremental/signatureRevision.ts';

/*
 * PAdES baseline signatures (ETSI EN 319 142-1 §6), each level one step on the previous:
 *   B-B   CAdES-detached CMS with signing-certificate-v2 and no signing-time;
 *   B-T   + a signature time-stamp (unsigned attribute, a TSA token over the signature value);
 *   B-LT  + a /DSS with the certificates and revocation data of every signer and TSA chain;
 *   B-LTA + a document time-stamp (/ETSI.RFC3161) over all of that.
 * Every step is its own incremental update, so each earlier signature keeps verifying.
 */

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
export const PADES_LEVELS: readonly PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];

/** An RFC 3161 time-stamp authority (or a failover list of them). */
export interface TimestampAuthority {
  /** A TimeStampToken (DER ContentInfo) over the given SHA-256 imprint; throws rather than inventing a time. */
  timestamp(imprintSha256: Uint8Array): Promise<Uint8Array>;
}

/** Fetches the OCSP responses / CRLs (and missing issuer certificates) for certificates. */
export interface ValidationDataSource {
  collect(certificates: Uint8Array[]): Promise<ValidationMaterial>;
}

export interface PadesServices {
  tsa?: TimestampAuthority;
  validationData?: ValidationDataSource;
}

export interface PadesSignature {
  /**
   * The signing identity, or a function that makes one just before this signature: per-signer
   * keys exist only for their own signature (see `afterSigning`).
   */
  identity: SealingIdentity | (() => Promise<SealingIdentity>);
  /** Runs once this signature's revision is written, e.g. to destroy a one-time key. */
  afterSigning?: () => Promise<void>;
  fieldName: string;
  /** /M, the claimed signing time. */
  signingTime: Date;
  name?: string;
  reason?: string;
  location?: string;
  contactInfo?: string;
  visible?: VisibleSignature;
}

/**
 * Room for a time-stamp token: TSTInfo, the TSA's signature and its certificates when asked
 * for (RFC 3161 §2.4.1) — ~5 KiB from Signet's TSA, more from a TSA with a longer chain.
 */
export const TIMESTAMP_CONTENTS_BYTES = 12 * 1024;
/** SignerInfo, signed attributes and a signature value up to RSA-4096, beside the certificates. */
const CMS_OVERHEAD_BYTES = 2 * 1024;

/**
 * Room for the CMS in /Contents, sized from what it will carry: the hole is written as hex and
 * hashed around, so a fixed, generous one would cost time and bytes on every small seal. It
 * holds the certificates (counted whole, the root too, though only the chain below it goes in),
 * the signer info, and at B-T the time-stamp token. Unused bytes stay zeros inside the hole.
 */
export function signatureContentsBytes(identity: SealingIdentity, withTimestamp: boolean): number {
  const certificates = [identity.certificate, ...identity.chain].reduce((sum, der) => sum + der.length, 0);
  const bytes = certificates + CMS_OVERHEAD_BYTES + (withTimestamp ? TIMESTAMP_CONTENTS_BYTES : 0);
  return Math.ceil(bytes / 1024) * 1024;
}
export const ARCHIVE_TIMESTAMP_FIELD = 'Signet archive time-stamp';

export function levelAtLeast(level: PadesLevel, minimum: PadesLevel): boolean {
  return PADES_LEVELS.indexOf(level) >= PADES_LEVELS.indexOf(minimum);
}

/**
 * Appends the signatures in order (per-signer signatures first, the platform seal last), then
 * the long-term material the level asks for, and returns the signed file. A Uint8Array input is
 * copied once and never changed; a PdfBuffer is appended to in place, so a caller that read the
 * file into one (`readPdfFile`) never has a second copy of it in memory.
 */
export async function signPades(
  pdf: Uint8Array | PdfBuffer,
  signatures: PadesSignature[],
  level: PadesLevel,
  services: PadesServices,
): Promise<Uint8Array> {
  const tsa = levelAtLeast(level, 'B-T')
    ? requireService(services.tsa, 'a time-stamp authority', level)
    : undefined;
  const validationData = levelAtLeast(level, 'B-LT')
    ? requireService(services.validationData, 'a revocation data source', level)
    : undefined;

  const target = pdf instanceof PdfBuffer ? pdf : PdfBuffer.copyOf(pdf);
  const made: { contents: Uint8Array; certificates: Uint8Array[] }[] = [];
  for (const signature of signatures) {
    const tokens: Uint8Array[] = [];
    let cms: Uint8Array | undefined;
    const identity =
      typeof signature.identity === 'function' ? await signature.identity() : signature.identity;
    const contentsBytes = signatureContentsBytes(identity, tsa !== undefined);
    try {
      await appendSignatureRevision(
        target,
        {
          kind: 'signature',
          fieldName: signature.fieldName,
          contentsBytes,
          signingTime: signature.signingTime,
          name: signature.name,
          reason: signature.reason,
          location: signature.location,
          contactInfo: signature.contactInfo,
          visible: signature.visible,
        },
        async (digest) => {
          cms = await createPadesCms(digest, identity, {
            unsignedAttributes: tsa
              ? async (signatureValue) => {
                  // EN 319 122-1 §5.3: the token's imprint is the hash of the SignerInfo signature value.
                  const token = await tsa.timestamp(sha256(signatureValue));
                  tokens.push(token);
                  return [{ type: CMS_OID.signatureTimeStampToken, values: [token] }];
                }
              : undefined,
          });
          return cms;
        },
      );
    } finally {
      await signature.afterSigning?.();
    }
    if (!cms) throw new Error('the signature was not produced');
    made.push({
      contents: padded(cms, contentsBytes),
      // The identity made for this signature: a per-signer one exists only as the resolved value.
      certificates: [identity.certificate, ...identity.chain, ...tokens.flatMap(tokenCertificates)],
    });
  }

  if (!validationData) return target.bytes;
  const material: SignatureValidationMaterial[] = [];
  for (const signature of made) {
    const collected = await validationData.collect(signature.certificates);
    material.push({ ...collected, signatureContents: signature.contents });
  }
  appendDss(target, material);

  if (!tsa || !levelAtLeast(level, 'B-LTA')) return target.bytes;
  return appendSignatureRevision(
    target,
    {
      kind: 'document-timestamp',
      fieldName: ARCHIVE_TIMESTAMP_FIELD,
      contentsBytes: TIMESTAMP_CONTENTS_BYTES,
    },
    (digest) => tsa.timestamp(digest),
  );
}

function requireService<T>(service: T | undefined, what: string, level: PadesLevel): T {
  if (service) return service;
  throw new SignetError('PADES_SERVICE_MISSING', `PAdES ${level} needs ${what}, and none is configured`);
}

/** The certificates a TimeStampToken carries (RFC 3161 §2.4.1: present when certReq was set). */
export function tokenCertificates(token: Uint8Array): Uint8Array[] {
  const contentInfo = pkijs.ContentInfo.fromBER(token);
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  return (signedData.certificates ?? [])
    .filter((certificate): certificate is pkijs.Certificate => certificate instanceof pkijs.Certificate)
    .map((certificate) => new Uint8Array(certificate.toSchema().toBER()));
}

function padded(der: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(der);
  return out;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}
