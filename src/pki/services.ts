import type { SignerCertificateConfig } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import type { OutboundClient } from '../outbound/outboundHttp.ts';
import { parseCertificate } from './certificateFields.ts';
import {
  certificateStatus,
  keySha1Of,
  nextCrlNumber,
  recordCertificate,
  revokedCertificates,
} from './certificateRegistry.ts';
import { issueCrl } from './crl.ts';
import type { DevPki } from './devCa.ts';
import type { KeyStore } from './keyStore.ts';
import { createOcspResponder, type OcspResponder } from './ocspResponder.ts';
import {
  createValidationDataCollector,
  type LocalEndpoint,
  type ValidationDataCollector,
} from './revocation/validationData.ts';
import type { SealingIdentity } from './signer.ts';
import {
  type IssuedCertificate,
  issueSignerCertificate,
  revokeAfterUse,
  type SignerCertificateRequest,
} from './signerCertificate.ts';
import { createDevTsa, type TimeStampAuthority } from './timestamping/devTsa.ts';
import { createTsaClient, type TsaClient } from './timestamping/tsaClient.ts';

/*
 * What the rest of Signet gets from the PKI (Platform.pki): the sealing identity, time-stamps,
 * revocation data for LTV, per-signer certificates, and the CA services the /pki routes publish.
 */

export type CrlName = 'root' | 'issuing';

/** Signet's own CA services: also present when seals are made with an operator's PKCS#12. */
export interface CertificateAuthorityServices {
  rootDer: Uint8Array;
  issuingDer: Uint8Array;
  ocsp: OcspResponder;
  timeStampAuthority: TimeStampAuthority;
  crl(name: CrlName): Promise<Uint8Array>;
}

export interface PlatformPki {
  /** The root of the sealing certificate's chain (the operator's, with SEAL_PKCS12_PATH). */
  rootPem: string;
  rootDer: Uint8Array;
  sealing: SealingIdentity;
  keyStore: KeyStore;
  tsa: TsaClient;
  validationData: ValidationDataCollector;
  /**
   * Issues a certificate for one signer of one envelope (SIGNER_CERT_VALIDITY_DAYS), and records
   * it. `now`: the moment of signing the certificate is for (default: now).
   */
  issueSignerCertificate(request: SignerCertificateRequest, now?: Date): Promise<IssuedCertificate>;
  /**
   * Tells the CA that a signer certificate's one signature is in the file, with its validation
   * data at B-LT and above. With SIGNER_CERT_REVOKE_AFTER_USE on and a time-stamped signature
   * (B-T and above) the certificate is revoked (cessationOfOperation); a B-B signature has no
   * proof that it came before the revocation, so its certificate is left alone. Says whether it
   * revoked.
   */
  signerCertificateUsed(use: SignerCertificateUse): Promise<boolean>;
  authority: CertificateAuthorityServices;
  /** The shapes `signPades` takes (src/pdf/pades.ts PadesServices): the token only, and the collector. */
  pades: {
    tsa: { timestamp(imprintSha256: Uint8Array): Promise<Uint8Array> };
    validationData: ValidationDataCollector;
  };
}

export interface SignerCertificateUse {
  serialNumber: string;
  /** The signature carries a signature time-stamp (PAdES B-T and above). */
  timeStamped: boolean;
}

export interface PlatformPkiOptions {
  db: Database;
  dev: DevPki;
  keyStore: KeyStore;
  /** From SEAL_PKCS12_PATH: seals with this instead of the dev CA's sealing certificate. */
  sealingOverride?: { sealing: SealingIdentity; rootPem: string; rootDer: Uint8Array };
  tsa: { urls: string[]; timeoutMs: number; attemptsPerUrl: number };
  revocationTimeoutMs: number;
  signerCertificates: SignerCertificateConfig;
  /** Requests to TSAs, OCSP responders and CRL servers (Platform.outbound). */
  outbound?: OutboundClient;
}

export async function createPlatformPki(options: PlatformPkiOptions): Promise<PlatformPki> {
  const { db, dev } = options;
  // Certificates made before the database was reachable (at CA creation) are recorded now; idempotent.
  for (const { certificate, issuer } of dev.issued) await recordCertificate(db, certificate, issuer);

  const issuingKeySha1 = keySha1Of(parseCertificate(dev.issuingCa.certificate));
  const rootKeySha1 = keySha1Of(parseCertificate(dev.root.certificate));
  const authority: CertificateAuthorityServices = {
    rootDer: dev.root.certificate,
    issuingDer: dev.issuingCa.certificate,
    ocsp: createOcspResponder({
      issuer: dev.issuingCa.certificate,
      responder: dev.ocspResponder,
      status: (issuerKeySha1, serial) => certificateStatus(db, issuerKeySha1, serial),
    }),
    timeStampAuthority: createDevTsa({ identity: dev.tsa }),
    async crl(name) {
      if (name === 'root' && dev.offlineRootCrl) return dev.offlineRootCrl();
      const ca = name === 'root' ? dev.root : dev.issuingCa;
      const revoked = await revokedCertificates(db, name === 'root' ? rootKeySha1 : issuingKeySha1);
      return issueCrl(ca, revoked, await nextCrlNumber(db));
    },
  };

  // Requests for this installation's own URLs are answered in-process: no HTTP hop to ourselves.
  const localEndpoints = new Map<string, LocalEndpoint>([
    [dev.urls.ocsp, async (body) => authority.ocsp.respond(body ?? new Uint8Array())],
    [dev.urls.issuingCrl, () => authority.crl('issuing')],
    [dev.urls.rootCrl, () => authority.crl('root')],
    [dev.urls.issuingCertificate, async () => dev.issuingCa.certificate],
    [dev.urls.rootCertificate, async () => dev.root.certificate],
  ]);

  const outbound = options.outbound ? { outbound: options.outbound } : {};
  const tsa = createTsaClient({ ...options.tsa, localTsa: authority.timeStampAuthority, ...outbound });
  const validationData = createValidationDataCollector({
    timeoutMs: options.revocationTimeoutMs,
    localEndpoints,
    ...outbound,
  });
  return {
    rootPem: options.sealingOverride?.rootPem ?? dev.rootPem,
    rootDer: options.sealingOverride?.rootDer ?? dev.rootDer,
    sealing: options.sealingOverride?.sealing ?? dev.sealing,
    keyStore: options.keyStore,
    tsa,
    validationData,
    issueSignerCertificate: (request, now) =>
      issueSignerCertificate(
        dev.issuingCa,
        request,
        db,
        { policyOid: dev.profile.policyOid, validityDays: options.signerCertificates.validityDays },
        now,
      ),
    async signerCertificateUsed({ serialNumber, timeStamped }) {
      if (!options.signerCertificates.revokeAfterUse || !timeStamped) return false;
      await revokeAfterUse(db, serialNumber);
      return true;
    },
    authority,
    pades: {
      tsa: { timestamp: async (imprint) => (await tsa.timestamp(imprint)).token },
      validationData,
    },
  };
}
