import { generateKeyPairSync } from 'node:crypto';
import { appendDss, embeddedSignatures } from '../../src/pdf/incremental/dss.ts';
import { PdfBuffer } from '../../src/pdf/incremental/pdfBuffer.ts';
import { appendSignatureRevision } from '../../src/pdf/incremental/signatureRevision.ts';
import { type PadesLevel, type PadesServices, signPades, tokenCertificates } from '../../src/pdf/pades.ts';
import { SEAL_FIELD_NAME } from '../../src/pdf/seal.ts';
import type { RevokedEntry } from '../../src/pki/certificateRegistry.ts';
import { issueCrl } from '../../src/pki/crl.ts';
import type { DevPki } from '../../src/pki/devCa.ts';
import { issueCertificate, KeyPurpose, KeyUsage, subjectPublicKeyOf } from '../../src/pki/issue.ts';
import { createOcspResponder } from '../../src/pki/ocspResponder.ts';
import {
  createValidationDataCollector,
  type LocalEndpoint,
} from '../../src/pki/revocation/validationData.ts';
import { type SealingIdentity, sealingIdentityFromKeyObject } from '../../src/pki/signer.ts';
import { createDevTsa } from '../../src/pki/timestamping/devTsa.ts';
import { createTsaClient } from '../../src/pki/timestamping/tsaClient.ts';
import { makePdf } from './pdfFixtures.ts';

/*
 * Seals made the way Signet makes them at B-T and above, from a dev PKI without a database or
 * a server: its TSA answers in-process, its OCSP responder and CRLs (nothing revoked) answer
 * the revocation data collector through local endpoints. Plus what an archive renewal does —
 * fresh validation data and a new document time-stamp, possibly by another TSA certificate —
 * for tests of long-term verdicts.
 */

export interface DevPadesOptions {
  /** Signs the time-stamps instead of the dev PKI's own TSA certificate. */
  tsa?: SealingIdentity;
}

export function devPadesServices(pki: DevPki, options: DevPadesOptions = {}): Required<PadesServices> {
  const ocsp = createOcspResponder({
    issuer: pki.issuingCa.certificate,
    responder: pki.ocspResponder,
    status: async () => ({ status: 'good' }),
  });
  const endpoints = new Map<string, LocalEndpoint>([
    [pki.urls.ocsp, (body) => ocsp.respond(body ?? new Uint8Array())],
    [pki.urls.issuingCrl, () => issueCrl(pki.issuingCa, [], 1n)],
    [pki.urls.rootCrl, () => issueCrl(pki.root, [], 1n)],
    [pki.urls.issuingCertificate, async () => pki.issuingCa.certificate],
    [pki.urls.rootCertificate, async () => pki.root.certificate],
  ]);
  const client = createTsaClient({
    urls: [],
    timeoutMs: 5000,
    attemptsPerUrl: 1,
    localTsa: createDevTsa({ identity: options.tsa ?? pki.tsa }),
  });
  return {
    tsa: { timestamp: async (imprint) => (await client.timestamp(imprint)).token },
    validationData: createValidationDataCollector({ timeoutMs: 5000, localEndpoints: endpoints }),
  };
}

/** A one-page PDF with the platform seal at `level`, as the sealing job makes it. */
export async function sealWithDevPki(pki: DevPki, level: PadesLevel): Promise<Uint8Array> {
  return signPades(
    await makePdf({ text: `sealed at ${level}` }),
    [
      {
        identity: pki.sealing,
        fieldName: SEAL_FIELD_NAME,
        signingTime: new Date(),
        reason: 'Sealed by Signet',
      },
    ],
    level,
    devPadesServices(pki),
  );
}

/** A time-stamping certificate from the dev issuing CA, valid until `notAfter`, with its key. */
export async function issueTsaIdentity(pki: DevPki, notAfter: Date): Promise<SealingIdentity> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certificate = await issueCertificate(
    {
      subject: { commonName: 'Signet Renewed Time-Stamping Authority', organization: 'Signet Development' },
      subjectPublicKey: subjectPublicKeyOf(privateKey),
      notBefore: new Date(Date.now() - 60 * 60 * 1000),
      notAfter,
      keyUsage: [KeyUsage.digitalSignature],
      extendedKeyUsage: { purposes: [KeyPurpose.timeStamping], critical: true },
      revocation: {
        ocspUrl: pki.urls.ocsp,
        caIssuersUrl: pki.urls.issuingCertificate,
        crlUrl: pki.urls.issuingCrl,
      },
    },
    pki.issuingCa,
  );
  return sealingIdentityFromKeyObject(privateKey, certificate, [
    pki.issuingCa.certificate,
    pki.root.certificate,
  ]);
}

/**
 * What an archive renewal adds (ETSI EN 319 142-1 §5.5): validation data for the newest
 * document time-stamp's chain and for the new TSA's, then a new document time-stamp over all.
 */
export async function renewArchiveTimestamp(
  pdf: Uint8Array,
  pki: DevPki,
  tsa: SealingIdentity,
  fieldName: string,
): Promise<Uint8Array> {
  const newest = embeddedSignatures(pdf)
    .filter((s) => s.kind === 'document-timestamp')
    .at(-1);
  if (!newest) throw new Error('renewArchiveTimestamp: the file has no document time-stamp');
  const services = devPadesServices(pki, { tsa });
  const target = PdfBuffer.copyOf(pdf);
  const material = await services.validationData.collect([
    ...tokenCertificates(newest.contents),
    tsa.certificate,
    ...tsa.chain,
  ]);
  appendDss(target, [{ ...material, signatureContents: newest.contents }]);
  return appendSignatureRevision(
    target,
    { kind: 'document-timestamp', fieldName, contentsBytes: 12 * 1024 },
    (digest) => services.tsa.timestamp(digest),
  );
}

/**
 * Appends a CRL of the issuing CA listing `revoked`, issued at `issuedAt`, to the file's DSS as
 * a later revision: revocation data found after sealing, such as a renewal job would add.
 */
export async function appendIssuingCrl(
  pdf: Uint8Array,
  pki: DevPki,
  revoked: RevokedEntry[],
  issuedAt: Date,
): Promise<Uint8Array> {
  const newest = embeddedSignatures(pdf).at(-1);
  if (!newest) throw new Error('appendIssuingCrl: the file has no signature');
  const crl = await issueCrl(pki.issuingCa, revoked, 2n, issuedAt);
  return appendDss(PdfBuffer.copyOf(pdf), [
    { certificates: [], ocspResponses: [], crls: [crl], signatureContents: newest.contents },
  ]);
}
