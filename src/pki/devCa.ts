import { createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadOrCreateMasterKey } from '../blobs/blobStore.ts';
import { type CertificateProfileConfig, DEVELOPMENT_CERTIFICATE_PROFILE } from '../config/config.ts';
import { SignetError } from '../errors.ts';
import { derOf, parseCertificate, pointersOf, policiesOf, sameBytes } from './certificateFields.ts';
import { createFileKeyStore, type FileKeyStore } from './fileKeyStore.ts';
import { type CaLayout, loadInstalledCa } from './installedCa.ts';
import {
  type CertificatePolicy,
  type CertificateProfile,
  type DistinguishedName,
  distinguishedName,
  issueCertificate,
  KeyPurpose,
  KeyUsage,
  type RevocationPointers,
} from './issue.ts';
import type { KeyGenerationOptions, KeyStore, StoredKey } from './keyStore.ts';
import { readOptional } from './sealedKeyFile.ts';
import type { SealingIdentity, SigningKey } from './signer.ts';

/*
 * Signet's own CA: root CA → issuing CA → {document sealing, time-stamping (TSA), OCSP
 * responder} and, on demand, short-lived per-signer certificates (signerCertificate.ts).
 * Created on first use and reused afterwards, so a developer trusts the root once (in an NSS
 * database, Acrobat, a browser) and every seal made on that machine validates.
 *
 * Keys live in a KeyStore (files by default, a PKCS#11 token later) under the labels below;
 * certificates stay as PEM files in the PKI directory (DATA_DIR/pki).
 *
 * Every certificate below the root names where its status is published (AIA id-ad-ocsp and a
 * CRL distribution point, RFC 5280 §4.2.2.1 / §4.2.1.13) at PUBLIC_URL, which is why the
 * certificates are re-issued (same keys, so nothing that verified stops verifying) when
 * PUBLIC_URL or the certificate profile (PKI_POLICY_OID, PKI_ORGANIZATION, PKI_COUNTRY) changes.
 * A CA keeps the name it was created with: the certificates and CRLs it signed name it as their
 * issuer. The issuing CA's own status comes from the root's CRL only: our OCSP responder is
 * certified by the issuing CA, and RFC 6960 §4.2.2.2 lets a delegated responder answer only for
 * certificates of the CA that certified it.
 */

export const DEV_PKI_KEY_LABELS = {
  root: 'signet-root-ca',
  issuing: 'signet-issuing-ca',
  sealing: 'signet-sealing',
  tsa: 'signet-tsa',
  ocsp: 'signet-ocsp',
} as const;

/** Where this installation publishes its CA material; all under PUBLIC_URL (see routes.ts). */
export interface PkiUrls {
  ocsp: string;
  rootCertificate: string;
  issuingCertificate: string;
  rootCrl: string;
  issuingCrl: string;
}

export function pkiUrlsFor(publicUrl: string): PkiUrls {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    ocsp: `${base}/pki/ocsp`,
    rootCertificate: `${base}/pki/root-ca.crt`,
    issuingCertificate: `${base}/pki/issuing-ca.crt`,
    rootCrl: `${base}/pki/crl/root.crl`,
    issuingCrl: `${base}/pki/crl/issuing.crl`,
  };
}

/** A CA that can sign: its certificate, key, and the certificates above it (nearest first, up to the root). */
export interface CertificateAuthority {
  certificate: Uint8Array;
  key: SigningKey;
  chain: Uint8Array[];
  urls: PkiUrls;
}

export interface DevPki {
  rootPem: string;
  rootDer: Uint8Array;
  root: CertificateAuthority;
  /** Issues the sealing, TSA, OCSP-responder and per-signer certificates. */
  issuingCa: CertificateAuthority;
  sealing: SealingIdentity;
  /** Signs RFC 3161 time-stamp tokens (extendedKeyUsage id-kp-timeStamping, critical). */
  tsa: SealingIdentity;
  /** Signs OCSP responses for the issuing CA (id-kp-OCSPSigning + id-pkix-ocsp-nocheck). */
  ocspResponder: SealingIdentity;
  urls: PkiUrls;
  /** The policy and names the certificates were issued with (per-signer certificates use the same policy). */
  profile: CertificateProfileConfig;
  /** Every certificate below the root with its issuer, for the certificate register. */
  issued: { certificate: Uint8Array; issuer: Uint8Array }[];
  /** Under an offline root (installedCa.ts), nothing here can sign the root's CRL: the imported one. */
  offlineRootCrl?: () => Promise<Uint8Array>;
}

export interface DevPkiOptions {
  /**
   * Where the keys are. Signet passes its own (main.ts: PKCS#11, or files in DATA_DIR/keys under
   * MASTER_KEY). Default, for a PKI made on its own (tests, tools): a file key store in
   * `<dir>/keys` encrypted under a development master key kept in `<dir>/master.key`, the way
   * DATA_DIR keeps one beside DATA_DIR/keys.
   */
  keyStore?: KeyStore;
  /** PUBLIC_URL, for the AIA and CRL pointers; default http://localhost:3000. */
  publicUrl?: string;
  /** PKI_POLICY_OID, PKI_ORGANIZATION, PKI_COUNTRY; default: the development profile. */
  profile?: CertificateProfileConfig;
}

const CERTIFICATE_FILES = {
  root: 'root-ca.crt.pem',
  issuing: 'issuing-ca.crt.pem',
  sealing: 'sealing.crt.pem',
  tsa: 'tsa.crt.pem',
  ocsp: 'ocsp.crt.pem',
} as const;
type Role = keyof typeof CERTIFICATE_FILES;

/** Where the CA's keys and certificates are: an issuing CA under an offline root (installedCa.ts) uses the same. */
export const CA_LAYOUT: CaLayout = { labels: DEV_PKI_KEY_LABELS, files: CERTIFICATE_FILES };

/** Key files of the first layout (keys beside the certificates); moved into the key store on upgrade. */
const LEGACY_KEY_FILES: Partial<Record<Role, string>> = {
  root: 'root-ca.key.pem',
  issuing: 'issuing-ca.key.pem',
  sealing: 'sealing.key.pem',
};

/** Backdating absorbs clock skew between this host and whoever validates the seal. */
const BACKDATE_MS = 60 * 60 * 1000;
const DAY_MS = 86_400_000;
/** An end-entity certificate with less than this left is renewed (same key) at start. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
/**
 * RFC 6960 §4.2.2.2.1: a responder certificate with id-pkix-ocsp-nocheck cannot itself be
 * revoked in practice, so it is kept short and renewed at start.
 */
const OCSP_RESPONDER_VALIDITY_DAYS = 90;

interface Plan {
  subject: (profile: CertificateProfileConfig) => DistinguishedName;
  label: string;
  keyOptions: KeyGenerationOptions;
  validity: (now: Date) => Date;
  /** The certificate's extensions; `policy` is the operator's certificatePolicies entry. */
  profile: (
    urls: PkiUrls,
    policy: CertificatePolicy,
  ) => Omit<CertificateProfile, 'subject' | 'subjectPublicKey' | 'notBefore' | 'notAfter'>;
  /** The pointers a current certificate carries; a certificate with others is re-issued. */
  expectedPointers: (urls: PkiUrls) => RevocationPointers;
}

const yearsAfter = (years: number) => (now: Date) => {
  const date = new Date(now);
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date;
};

/** End entities: OCSP at our responder, the issuing CA's certificate and CRL (RFC 5280 §4.2.2.1). */
const endEntityPointers = (urls: PkiUrls): RevocationPointers => ({
  ocspUrl: urls.ocsp,
  caIssuersUrl: urls.issuingCertificate,
  crlUrl: urls.issuingCrl,
});

/** C and O from the configuration, CN from the organisation and the certificate's role. */
const named =
  (role: string) =>
  ({ organization, country }: CertificateProfileConfig): DistinguishedName => ({
    commonName: `${organization} ${role}`,
    organization,
    ...(country ? { country } : {}),
  });

const PLANS: Record<Role, Plan> = {
  /** No certificatePolicies: a root is a trust anchor, whose extensions RFC 5280 §6.1 does not process. */
  root: {
    subject: named('Root CA'),
    label: DEV_PKI_KEY_LABELS.root,
    // A 20-year root outlives RSA-2048's horizon (NIST SP 800-57 Part 1 §5.6.3), hence 3072 for the CAs.
    keyOptions: { rsaModulusLength: 3072 },
    validity: yearsAfter(20),
    profile: () => ({ ca: { pathLength: null }, keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign] }),
    expectedPointers: () => ({}),
  },
  /** The operator's policy, so a relying party that requires it (RFC 5280 §6.1.3 (d)) finds it on the whole path. */
  issuing: {
    subject: named('Issuing CA'),
    label: DEV_PKI_KEY_LABELS.issuing,
    keyOptions: { rsaModulusLength: 3072 },
    validity: yearsAfter(10),
    profile: (urls, policy) => ({
      ca: { pathLength: 0 },
      keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign],
      revocation: { caIssuersUrl: urls.rootCertificate, crlUrl: urls.rootCrl },
      policy,
    }),
    expectedPointers: (urls) => ({ caIssuersUrl: urls.rootCertificate, crlUrl: urls.rootCrl }),
  },
  /**
   * digitalSignature + nonRepudiation (the "contentCommitment" of RFC 5280 §4.2.1.3) and no
   * extendedKeyUsage: pdfsig validates through NSS as an e-mail signer, and NSS rejects a
   * certificate whose extendedKeyUsage lacks emailProtection — which a sealing certificate
   * should not claim.
   */
  sealing: {
    // The CN names what the certificate does (validators show it as the signer); O says whose it is.
    subject: ({ organization, country }) => ({
      commonName: 'Signet Document Sealing',
      organization,
      ...(country ? { country } : {}),
    }),
    label: DEV_PKI_KEY_LABELS.sealing,
    keyOptions: { rsaModulusLength: 2048 },
    validity: yearsAfter(3),
    profile: (urls, policy) => ({
      keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation],
      revocation: endEntityPointers(urls),
      policy,
    }),
    expectedPointers: endEntityPointers,
  },
  /** RFC 3161 §2.3: the TSA's certificate carries exactly one extendedKeyUsage, id-kp-timeStamping, critical. */
  tsa: {
    subject: named('Time-Stamping Authority'),
    label: DEV_PKI_KEY_LABELS.tsa,
    keyOptions: { rsaModulusLength: 2048 },
    validity: yearsAfter(3),
    profile: (urls, policy) => ({
      keyUsage: [KeyUsage.digitalSignature],
      extendedKeyUsage: { purposes: [KeyPurpose.timeStamping], critical: true },
      revocation: endEntityPointers(urls),
      policy,
    }),
    expectedPointers: endEntityPointers,
  },
  /**
   * RFC 6960 §4.2.2.2: id-kp-OCSPSigning marks a delegated responder; id-pkix-ocsp-nocheck
   * (§4.2.2.2.1) tells clients not to check the responder's own status, so it has no OCSP
   * pointer and no CRL pointer.
   */
  ocsp: {
    subject: named('OCSP Responder'),
    label: DEV_PKI_KEY_LABELS.ocsp,
    keyOptions: { rsaModulusLength: 2048 },
    validity: (now) => new Date(now.getTime() + OCSP_RESPONDER_VALIDITY_DAYS * DAY_MS),
    profile: (urls, policy) => ({
      keyUsage: [KeyUsage.digitalSignature],
      extendedKeyUsage: { purposes: [KeyPurpose.ocspSigning], critical: false },
      ocspNoCheck: true,
      revocation: { caIssuersUrl: urls.issuingCertificate },
      policy,
    }),
    expectedPointers: (urls) => ({ caIssuersUrl: urls.issuingCertificate }),
  },
};

const DEFAULT_PUBLIC_URL = 'http://localhost:3000';

export async function loadOrCreateDevPki(dir: string, options: DevPkiOptions = {}): Promise<DevPki> {
  const urls = pkiUrlsFor(options.publicUrl ?? DEFAULT_PUBLIC_URL);
  const wanted: Wanted = { urls, profile: options.profile ?? DEVELOPMENT_CERTIFICATE_PROFILE };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyStore =
    options.keyStore ?? createFileKeyStore(join(dir, 'keys'), loadOrCreateMasterKey(dir, undefined));
  await adoptLegacyKeys(dir, keyStore);
  const now = new Date();

  // An issuing CA installed under an offline root (`signet ca import`) replaces the development root and issuing CA.
  const installed = await loadInstalledCa(dir, keyStore, CA_LAYOUT);
  const root = installed?.root ?? (await ensureCertificate(dir, keyStore, 'root', undefined, wanted, now));
  const issuing =
    installed?.issuing ?? (await ensureCertificate(dir, keyStore, 'issuing', root, wanted, now));
  const [sealing, tsa, ocsp] = await Promise.all(
    (['sealing', 'tsa', 'ocsp'] as const).map((role) =>
      ensureCertificate(dir, keyStore, role, issuing, wanted, now),
    ),
  );
  if (!sealing || !tsa || !ocsp) throw new Error('unreachable');

  const rootCa: CertificateAuthority = { certificate: root.certificate, key: root.key.key, chain: [], urls };
  const issuingCa: CertificateAuthority = {
    certificate: issuing.certificate,
    key: issuing.key.key,
    chain: [root.certificate],
    urls,
  };
  const identity = (held: Held): SealingIdentity => ({
    signatureAlgorithm: held.key.key.signatureAlgorithm,
    sign: (data) => held.key.key.sign(data),
    certificate: held.certificate,
    chain: [issuing.certificate, root.certificate],
  });
  const rootView = new X509Certificate(root.certificate);
  return {
    rootPem: rootView.toString(),
    rootDer: root.certificate,
    root: rootCa,
    issuingCa,
    sealing: identity(sealing),
    tsa: identity(tsa),
    ocspResponder: identity(ocsp),
    urls,
    profile: wanted.profile,
    issued: [
      { certificate: issuing.certificate, issuer: root.certificate },
      ...[sealing, tsa, ocsp].map((held) => ({ certificate: held.certificate, issuer: issuing.certificate })),
    ],
    ...(installed ? { offlineRootCrl: installed.rootCrl } : {}),
  };
}

interface Held {
  certificate: Uint8Array;
  key: StoredKey;
}

/** What the certificates should say: where status is published, and the certificate profile. */
interface Wanted {
  urls: PkiUrls;
  profile: CertificateProfileConfig;
}

/**
 * The certificate for `role`, issued (or re-issued with the same key) when it is missing, no
 * longer verifies under its issuer, points elsewhere than this installation, names another
 * policy or (end entities only) another subject, or is about to expire. A certificate whose key
 * is gone is refused: silently replacing the root would break the trust users placed in it.
 */
async function ensureCertificate(
  dir: string,
  keyStore: KeyStore,
  role: Role,
  issuer: Held | undefined,
  wanted: Wanted,
  now: Date,
): Promise<Held> {
  const plan = PLANS[role];
  const path = join(dir, CERTIFICATE_FILES[role]);
  const pem = await readOptional(path);
  const existingKey = await keyStore.open(plan.label);
  if (pem !== undefined && !existingKey) {
    throw new SignetError(
      'DEV_PKI_INCOMPLETE',
      `development PKI in ${dir} has ${CERTIFICATE_FILES[role]} but the key store (${keyStore.kind}) has no key "${plan.label}"; delete the directory to create a new PKI`,
    );
  }
  const key = existingKey ?? (await keyStore.generate(plan.label, 'rsa-sha256', plan.keyOptions));
  let keptName: Uint8Array | undefined;
  if (pem !== undefined) {
    const certificate = new Uint8Array(new X509Certificate(pem).raw);
    assertKeyMatches(certificate, key, CERTIFICATE_FILES[role]);
    if (isCurrent(certificate, role, issuer, wanted, now)) return { certificate, key };
    if (role === 'root') return { certificate, key }; // the trust anchor is never replaced
    if (isCa(role)) keptName = derOf(parseCertificate(certificate).subject);
  }
  const notAfter = plan.validity(now);
  const certificate = await issueCertificate(
    {
      subject: keptName ? { der: keptName } : plan.subject(wanted.profile),
      subjectPublicKey: key.publicKey,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: issuer
        ? earliest(notAfter, new Date(new X509Certificate(issuer.certificate).validTo))
        : notAfter,
      ...plan.profile(wanted.urls, { oid: wanted.profile.policyOid }),
    },
    issuer ? { certificate: issuer.certificate, key: issuer.key.key } : { key: key.key },
  );
  await writeFileAtomically(path, new X509Certificate(certificate).toString(), 0o644);
  return { certificate, key };
}

const isCa = (role: Role) => role === 'root' || role === 'issuing';

function isCurrent(
  certificate: Uint8Array,
  role: Role,
  issuer: Held | undefined,
  { urls, profile }: Wanted,
  now: Date,
): boolean {
  const view = new X509Certificate(certificate);
  if (issuer) {
    const issuerView = new X509Certificate(issuer.certificate);
    if (!view.checkIssued(issuerView) || !view.verify(issuerView.publicKey)) return false;
  }
  if (!isCa(role) && Date.parse(view.validTo) - now.getTime() < RENEW_BEFORE_MS) return false;
  const parsed = parseCertificate(certificate);
  if (
    !isCa(role) &&
    !sameBytes(derOf(parsed.subject), derOf(distinguishedName(PLANS[role].subject(profile))))
  ) {
    return false;
  }
  const policies = policiesOf(parsed).map((policy) => policy.oid);
  if (role !== 'root' && !(policies.length === 1 && policies[0] === profile.policyOid)) return false;
  const pointers = pointersOf(parsed);
  const expected = PLANS[role].expectedPointers(urls);
  return (
    sameList(pointers.ocspUrls, expected.ocspUrl) &&
    sameList(pointers.caIssuersUrls, expected.caIssuersUrl) &&
    sameList(pointers.crlUrls, expected.crlUrl)
  );
}

const sameList = (actual: string[], expected: string | undefined) =>
  expected === undefined ? actual.length === 0 : actual.length === 1 && actual[0] === expected;

const earliest = (a: Date, b: Date) => (a.getTime() <= b.getTime() ? a : b);

function assertKeyMatches(certificate: Uint8Array, key: StoredKey, file: string): void {
  const certified = new X509Certificate(certificate).publicKey;
  const stored = createPublicKey({ key: Buffer.from(key.publicKey), format: 'der', type: 'spki' });
  if (!certified.equals(stored)) {
    throw new SignetError('KEY_CERTIFICATE_MISMATCH', `the key "${key.label}" does not belong to ${file}`);
  }
}

/**
 * The first layout kept unencrypted keys beside the certificates. They are moved into a file
 * key store (encrypted there, and the old files removed) so the same root stays trusted; a
 * PKCS#11 store cannot adopt them, and that is said plainly instead of generating a new root.
 */
async function adoptLegacyKeys(dir: string, keyStore: KeyStore): Promise<void> {
  const legacy = (Object.entries(LEGACY_KEY_FILES) as [Role, string][]).map(([role, file]) => ({
    role,
    path: join(dir, file),
  }));
  const present = [];
  for (const entry of legacy) {
    const pem = await readOptional(entry.path);
    if (pem !== undefined) present.push({ ...entry, pem });
  }
  if (present.length === 0) return;
  if (!isFileKeyStore(keyStore)) {
    throw new SignetError(
      'DEV_PKI_LEGACY_LAYOUT',
      `development PKI in ${dir} keeps its keys as files (${present.map((p) => p.path).join(', ')}); a ${keyStore.kind} key store cannot adopt them — start once with the file key store, or delete the directory`,
    );
  }
  for (const { role, path, pem } of present) {
    const label = PLANS[role].label;
    if (!(await keyStore.open(label))) await keyStore.importPem(label, pem);
    await unlink(path);
  }
}

function isFileKeyStore(keyStore: KeyStore): keyStore is FileKeyStore {
  return keyStore.kind === 'file' && 'importPem' in keyStore;
}

export function certificatePem(der: Uint8Array): string {
  return new X509Certificate(der).toString();
}

/** Write-then-rename, so a crash never leaves a truncated PEM that a later start would choke on. */
async function writeFileAtomically(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, content, { mode, flag: 'wx' });
  await rename(temporary, path);
}
