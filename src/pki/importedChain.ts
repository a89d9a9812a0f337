import { X509Certificate } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignetError } from '../errors.ts';
import {
  assertCanSignDocuments,
  certifiesKey,
  describeCertificate,
  issuerChain,
} from './certificateChain.ts';
import { parseCertificate } from './certificateFields.ts';
import { createCertificationRequest } from './csr.ts';
import type { EncodedName } from './distinguishedName.ts';
import { KEY_TYPES, type KeyStore, type KeyType, type StoredKey } from './keyStore.ts';
import { pemBlocks, toPem } from './pem.ts';
import { KEY_LABEL_PATTERN, readOptional } from './sealedKeyFile.ts';
import type { SealingIdentity } from './signer.ts';

/*
 * A certificate another CA issued for a key in Signet's key store: typically a publicly trusted
 * seal (an AATL member's, or an eIDAS qualified seal) bought for a key generated inside the
 * PKCS#11 token, which therefore never leaves it. The key signs a CSR (`signet keys csr`), the
 * CA answers with a certificate and its chain, and `signet keys import-cert` installs them here
 * once they are checked, as DATA_DIR/pki/chains/LABEL.chain.pem: the certificate first, then
 * its issuers nearest first, the root last.
 */

export const IMPORTED_CHAINS_DIR = 'chains';

const chainFile = (pkiDir: string, label: string) => join(pkiDir, IMPORTED_CHAINS_DIR, `${label}.chain.pem`);

export interface KeyCertificateRequest {
  csr: Uint8Array;
  /** Whether the key was made now, the store having none under the label. */
  generated: boolean;
}

/**
 * A CSR signed by the key `label` (made with `keyType` when the store has none), naming
 * `subject`, or without one the subject of the certificate already imported for it.
 */
export async function requestKeyCertificate(
  pkiDir: string,
  keyStore: KeyStore,
  label: string,
  request: { subject: EncodedName | undefined; keyType: KeyType },
): Promise<KeyCertificateRequest> {
  assertChainLabel(label);
  const subject = request.subject ?? (await importedSubject(pkiDir, label));
  const existing = await keyStore.open(label);
  const { algorithm, options } = KEY_TYPES[request.keyType];
  const key = existing ?? (await keyStore.generate(label, algorithm, options));
  return { csr: await createCertificationRequest(key, subject), generated: !existing };
}

async function importedSubject(pkiDir: string, label: string): Promise<EncodedName> {
  const imported = await readChainFile(pkiDir, label);
  const [certificate] = imported ?? [];
  if (!certificate) {
    throw new SignetError(
      'CLI_OPTION_REQUIRED',
      `--subject is required: no certificate has been imported for "${label}" yet to take it from`,
    );
  }
  return { der: new Uint8Array(parseCertificate(certificate).subject.toSchema().toBER()) };
}

export interface ImportedChain {
  certificate: Uint8Array;
  /** The issuers, nearest first, the root last. */
  chain: Uint8Array[];
}

/**
 * Installs the chain a CA issued for the key `label`, after checking that one certificate in
 * it certifies exactly that key, may sign documents, and chains through valid CA certificates
 * to a self-signed root, with nothing left over. Replaces an earlier import (a renewal).
 */
export async function importCertificateChain(
  pkiDir: string,
  keyStore: KeyStore,
  label: string,
  certificates: Uint8Array[],
  now: Date = new Date(),
): Promise<ImportedChain> {
  assertChainLabel(label);
  const key = await openKey(keyStore, label);
  const leaf = certificates.find((der) => certifiesKey(new X509Certificate(der), key.publicKey));
  if (!leaf) {
    const named = certificates.map((der) => `"${describeCertificate(new X509Certificate(der))}"`).join(', ');
    throw new SignetError(
      'KEY_CERTIFICATE_MISMATCH',
      `no certificate given certifies the key "${label}" in the key store (${keyStore.kind}): ${named || 'none given'} — was the CSR made with another key?`,
    );
  }
  assertCanSignDocuments(new X509Certificate(leaf));
  const chain = issuerChain(leaf, certificates, now);
  await mkdir(join(pkiDir, IMPORTED_CHAINS_DIR), { recursive: true, mode: 0o700 });
  const path = chainFile(pkiDir, label);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, [leaf, ...chain].map((der) => toPem('CERTIFICATE', der)).join(''), {
    mode: 0o644,
  });
  await rename(temporary, path);
  return { certificate: leaf, chain };
}

/**
 * The sealing identity made of the key `label` and the chain imported for it, or undefined
 * when none was imported. Checked again at each start: a token whose key was replaced since
 * the import would otherwise seal with a certificate for another key.
 */
export async function loadImportedIdentity(
  pkiDir: string,
  keyStore: KeyStore,
  label: string,
): Promise<SealingIdentity | undefined> {
  assertChainLabel(label);
  const certificates = await readChainFile(pkiDir, label);
  const [certificate, ...rest] = certificates ?? [];
  if (!certificate) return undefined;
  const key = await openKey(keyStore, label);
  if (!certifiesKey(new X509Certificate(certificate), key.publicKey)) {
    throw new SignetError(
      'KEY_CERTIFICATE_MISMATCH',
      `${chainFile(pkiDir, label)} certifies another key than "${label}" in the key store (${keyStore.kind}); import its certificate again`,
    );
  }
  const chain = issuerChain(certificate, rest, undefined);
  return {
    signatureAlgorithm: key.key.signatureAlgorithm,
    sign: (data) => key.key.sign(data),
    certificate,
    chain,
  };
}

async function openKey(keyStore: KeyStore, label: string): Promise<StoredKey> {
  const key = await keyStore.open(label);
  if (key) return key;
  throw new SignetError('KEY_NOT_FOUND', `the key store (${keyStore.kind}) has no key "${label}"`);
}

async function readChainFile(pkiDir: string, label: string): Promise<Uint8Array[] | undefined> {
  const pem = await readOptional(chainFile(pkiDir, label));
  return pem === undefined ? undefined : pemBlocks(pem, 'CERTIFICATE');
}

/** The label names a file, so it keeps to the file key store's safe alphabet. */
function assertChainLabel(label: string): void {
  if (!KEY_LABEL_PATTERN.test(label)) {
    throw new SignetError(
      'KEY_LABEL_INVALID',
      `a key that carries an imported certificate has a label matching ${KEY_LABEL_PATTERN}, not "${label}"`,
    );
  }
}
