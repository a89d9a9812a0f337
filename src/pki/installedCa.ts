import { createHash, verify, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SignetError } from '../errors.ts';
import { SIGNATURE_DIGESTS } from './algorithms.ts';
import {
  assertCanIssue,
  assertCurrent,
  certifiesKey,
  describeCertificate,
  isSelfSigned,
} from './certificateChain.ts';
import { derOf, parseCertificate, sameBytes } from './certificateFields.ts';
import { createCertificationRequest } from './csr.ts';
import type { EncodedName } from './distinguishedName.ts';
import { KEY_TYPES, type KeyStore, type KeyType, type StoredKey } from './keyStore.ts';
import { pemBlocks, toPem } from './pem.ts';
import { readOptional } from './sealedKeyFile.ts';

/*
 * The installation's side of an offline root (offlineCa.ts is the other): the issuing CA's key
 * is made in this installation's key store (a PKCS#11 token, or the file store), its CSR is
 * carried to the offline machine, and the certificate signed there comes back with the root.
 * From then on the installation issues its sealing, TSA, OCSP and per-signer certificates with
 * that issuing CA (devCa.ts), and no key of the root is anywhere it can reach.
 *
 * Files, in DATA_DIR/pki beside the development CA's:
 *   issuing-ca.csr.pem   the last request made, to compare at the ceremony
 *   root-ca.crt.pem, issuing-ca.crt.pem   the certificates, where the development CA keeps its
 *                        own (so `signet verify` and backups find the root where they always did)
 *   offline-root.json    written last by `signet ca import`: its presence switches the
 *                        installation to the offline root, and the fingerprints in it tie the
 *                        two certificate files to what was imported
 *   root.crl             the root's CRL as last imported, served at /pki/crl/root.crl
 */

const FILES = {
  request: 'issuing-ca.csr.pem',
  marker: 'offline-root.json',
  rootCrl: 'root.crl',
} as const;

/** Where Signet's CA keeps its keys and certificates (devCa.ts CA_LAYOUT), passed in so this module stays below it. */
export interface CaLayout {
  labels: { root: string; issuing: string };
  files: { root: string; issuing: string };
}

interface OfflineRootMarker {
  importedAt: string;
  rootSha256: string;
  issuingSha256: string;
}

export interface IssuingCaRequest {
  csr: Uint8Array;
  /** Whether the key was made now (false: an existing key is certified again, e.g. to renew). */
  generated: boolean;
}

/**
 * Makes the issuing CA's key (or takes the one already there) and its CSR, kept in DATA_DIR/pki
 * too. Refused while the key store holds an online root key: an installation with one would
 * keep trusting, and be able to use, a root its operator meant to take offline.
 */
export async function requestIssuingCa(
  pkiDir: string,
  keyStore: KeyStore,
  layout: CaLayout,
  request: { subject: EncodedName; keyType: KeyType },
): Promise<IssuingCaRequest> {
  await assertNoOnlineRoot(keyStore, layout);
  const existing = await keyStore.open(layout.labels.issuing);
  const { algorithm, options } = KEY_TYPES[request.keyType];
  const key = existing ?? (await keyStore.generate(layout.labels.issuing, algorithm, options));
  const csr = await createCertificationRequest(key, request.subject);
  await mkdir(pkiDir, { recursive: true, mode: 0o700 });
  await writeAtomically(join(pkiDir, FILES.request), toPem('CERTIFICATE REQUEST', csr));
  return { csr, generated: !existing };
}

/**
 * Installs the issuing CA certificate signed by the offline root, with that root. Checks that
 * the root is self-signed and a CA, that it signed the issuing CA, that the issuing CA is a CA
 * for exactly the key this installation holds, and that both are valid now.
 */
export async function importIssuingCa(
  pkiDir: string,
  keyStore: KeyStore,
  layout: CaLayout,
  certificates: { issuing: Uint8Array[]; root: Uint8Array },
  now: Date = new Date(),
): Promise<{ root: Uint8Array; issuing: Uint8Array }> {
  await assertNoOnlineRoot(keyStore, layout);
  const key = await keyStore.open(layout.labels.issuing);
  if (!key) {
    throw new SignetError(
      'KEY_NOT_FOUND',
      `the key store (${keyStore.kind}) has no issuing CA key "${layout.labels.issuing}": make it and its CSR with \`signet ca csr\` first`,
    );
  }
  const root = new X509Certificate(certificates.root);
  if (!isSelfSigned(root)) {
    throw new SignetError(
      'CERTIFICATE_CHAIN_INVALID',
      `"${describeCertificate(root)}" is not a self-signed root`,
    );
  }
  assertCanIssue(root);
  assertCurrent(root, now);
  // The chain file may hold the root too (as bundles often do): the issuing CA is the other one.
  const candidates = certificates.issuing.filter((der) => !sameBytes(der, certificates.root));
  const [issuingDer, ...others] = candidates;
  if (!issuingDer || others.length > 0) {
    throw new SignetError(
      'CERTIFICATE_CHAIN_INVALID',
      `the chain file must hold the issuing CA certificate (and at most the root besides), not ${candidates.length} other certificates`,
    );
  }
  const issuing = new X509Certificate(issuingDer);
  if (!issuing.checkIssued(root) || !issuing.verify(root.publicKey)) {
    throw new SignetError(
      'CERTIFICATE_CHAIN_INVALID',
      `"${describeCertificate(issuing)}" was not signed by the root "${describeCertificate(root)}"`,
    );
  }
  assertCanIssue(issuing);
  assertCurrent(issuing, now);
  assertCertifies(issuing, key);

  await mkdir(pkiDir, { recursive: true, mode: 0o700 });
  await writeAtomically(join(pkiDir, layout.files.root), toPem('CERTIFICATE', certificates.root));
  await writeAtomically(join(pkiDir, layout.files.issuing), toPem('CERTIFICATE', issuingDer));
  const marker: OfflineRootMarker = {
    importedAt: now.toISOString(),
    rootSha256: sha256Hex(certificates.root),
    issuingSha256: sha256Hex(issuingDer),
  };
  await writeAtomically(join(pkiDir, FILES.marker), `${JSON.stringify(marker, null, 2)}\n`);
  return { root: certificates.root, issuing: issuingDer };
}

/**
 * Installs a CRL the offline root signed, refusing one of another issuer, one whose signature
 * does not verify, one that has run out, and one older than the CRL already installed.
 */
export async function importRootCrl(
  pkiDir: string,
  layout: CaLayout,
  crlDer: Uint8Array,
  now: Date = new Date(),
): Promise<{ nextUpdate: Date | undefined }> {
  const marker = await readMarker(pkiDir);
  const rootPem = marker && (await readOptional(join(pkiDir, layout.files.root)));
  if (!rootPem) {
    throw new SignetError(
      'OFFLINE_CA_NOT_FOUND',
      'no offline root is installed: install the issuing CA and the root (`signet ca import --chain … --root …`) first',
    );
  }
  const root = new X509Certificate(rootPem);
  const crl = readCrlSignedBy(crlDer, root);
  const nextUpdate = crl.nextUpdate?.value;
  if (nextUpdate && nextUpdate < now) {
    throw new SignetError('CERTIFICATE_CHAIN_INVALID', `the CRL ran out on ${nextUpdate.toISOString()}`);
  }
  const installed = await readOptionalBytes(join(pkiDir, FILES.rootCrl));
  if (installed && crlNumberOf(readCrlSignedBy(installed, root)) > crlNumberOf(crl)) {
    throw new SignetError(
      'CERTIFICATE_CHAIN_INVALID',
      'the CRL installed already is newer (a higher CRL number)',
    );
  }
  await writeAtomically(join(pkiDir, FILES.rootCrl), Buffer.from(crlDer));
  return { nextUpdate };
}

/** Signet's CA under an offline root, as devCa.ts uses it. */
export interface InstalledCa {
  root: { certificate: Uint8Array; key: StoredKey };
  issuing: { certificate: Uint8Array; key: StoredKey };
  /** The root's CRL as last imported (DER). */
  rootCrl(): Promise<Uint8Array>;
}

/**
 * The installed issuing CA and its offline root, or undefined when this installation runs the
 * development CA (no offline root was ever imported). A request made but never answered stops
 * the start: going on would create a development root, the very thing the operator set out to
 * avoid.
 */
export async function loadInstalledCa(
  pkiDir: string,
  keyStore: KeyStore,
  layout: CaLayout,
): Promise<InstalledCa | undefined> {
  const marker = await readMarker(pkiDir);
  if (!marker) {
    if ((await readOptional(join(pkiDir, FILES.request))) === undefined) return undefined;
    throw new SignetError(
      'CA_IMPORT_PENDING',
      `${join(pkiDir, FILES.request)} waits for its certificate: sign it with the offline root (\`signet ca sign-csr\`) and install it with \`signet ca import\``,
    );
  }
  const root = await installedCertificate(pkiDir, layout.files.root, marker.rootSha256);
  const issuing = await installedCertificate(pkiDir, layout.files.issuing, marker.issuingSha256);
  const key = await keyStore.open(layout.labels.issuing);
  if (!key) {
    throw new SignetError(
      'KEY_NOT_FOUND',
      `the key store (${keyStore.kind}) has no issuing CA key "${layout.labels.issuing}" for ${join(pkiDir, layout.files.issuing)}`,
    );
  }
  assertCertifies(new X509Certificate(issuing), key);
  return {
    root: { certificate: root, key: offlineKey(layout.labels.root, new X509Certificate(root)) },
    issuing: { certificate: issuing, key },
    async rootCrl() {
      const crl = await readOptionalBytes(join(pkiDir, FILES.rootCrl));
      if (crl) return crl;
      throw new SignetError(
        'CA_ROOT_CRL_MISSING',
        'the root CA is offline and no root CRL is installed: sign one with `signet ca crl` and install it with `signet ca import --root-crl`',
      );
    },
  };
}

/** The certificate in `file`, refused unless it is the one `signet ca import` installed. */
async function installedCertificate(pkiDir: string, file: string, sha256: string): Promise<Uint8Array> {
  const pem = await readOptional(join(pkiDir, file));
  const [der] = pem === undefined ? [] : pemBlocks(pem, 'CERTIFICATE');
  if (!der || sha256Hex(der) !== sha256) {
    throw new SignetError(
      'CERTIFICATE_CHAIN_INVALID',
      `${join(pkiDir, file)} is not the certificate \`signet ca import\` installed (${FILES.marker}); import the chain again`,
    );
  }
  return der;
}

async function readMarker(pkiDir: string): Promise<OfflineRootMarker | undefined> {
  const text = await readOptional(join(pkiDir, FILES.marker));
  return text === undefined ? undefined : (JSON.parse(text) as OfflineRootMarker);
}

const sha256Hex = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

/** Stands in for the root's key in the installation: it exists, but elsewhere. */
function offlineKey(label: string, root: X509Certificate): StoredKey {
  return {
    label,
    publicKey: new Uint8Array(root.publicKey.export({ type: 'spki', format: 'der' })),
    key: {
      signatureAlgorithm: root.publicKey.asymmetricKeyType === 'ec' ? 'ecdsa-p256-sha256' : 'rsa-sha256',
      sign: async () => {
        throw new SignetError(
          'CA_ROOT_OFFLINE',
          `the root "${describeCertificate(root)}" is offline; sign with it on the offline machine`,
        );
      },
    },
  };
}

async function assertNoOnlineRoot(keyStore: KeyStore, layout: CaLayout): Promise<void> {
  const label = layout.labels.root;
  if (!(await keyStore.open(label))) return;
  throw new SignetError(
    'CA_ONLINE_ROOT_PRESENT',
    `the key store (${keyStore.kind}) holds the development root CA key "${label}": an offline root is set up on an installation without one — start from an empty DATA_DIR (and token), or delete that key first`,
  );
}

function assertCertifies(certificate: X509Certificate, key: StoredKey): void {
  if (certifiesKey(certificate, key.publicKey)) return;
  throw new SignetError(
    'KEY_CERTIFICATE_MISMATCH',
    `"${describeCertificate(certificate)}" certifies another key than "${key.label}" in the key store`,
  );
}

function readCrlSignedBy(der: Uint8Array, issuer: X509Certificate): pkijs.CertificateRevocationList {
  let crl: pkijs.CertificateRevocationList;
  try {
    crl = pkijs.CertificateRevocationList.fromBER(der);
  } catch {
    throw new SignetError('CERTIFICATE_CHAIN_INVALID', 'the file is not an X.509 CRL (DER or PEM)');
  }
  const issuerName = parseCertificate(new Uint8Array(issuer.raw)).subject;
  const digest = SIGNATURE_DIGESTS[crl.signatureAlgorithm.algorithmId];
  const signed =
    digest !== undefined &&
    sameBytes(derOf(crl.issuer), derOf(issuerName)) &&
    verify(digest, crl.tbsView, issuer.publicKey, crl.signatureValue.valueBlock.valueHexView);
  if (!signed) {
    throw new SignetError(
      'CERTIFICATE_CHAIN_INVALID',
      `the CRL was not signed by "${describeCertificate(issuer)}"`,
    );
  }
  return crl;
}

/** RFC 5280 §5.2.3 cRLNumber; 0 when absent. */
function crlNumberOf(crl: pkijs.CertificateRevocationList): bigint {
  const extension = crl.crlExtensions?.extensions.find((candidate) => candidate.extnID === '2.5.29.20');
  if (!extension) return 0n;
  const value = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result;
  return value instanceof asn1js.Integer ? value.toBigInt() : 0n;
}

async function readOptionalBytes(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writeAtomically(path: string, content: string | Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode: 0o644 });
  await rename(temporary, path);
}
