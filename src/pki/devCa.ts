import { createPrivateKey, generateKeyPair, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignetError } from '../errors.ts';
import { type CertificateProfile, issueCertificate, KeyUsage, subjectPublicKeyOf } from './issue.ts';
import {
  type SealingIdentity,
  type SigningKey,
  sealingIdentityFromKeyObject,
  signingKeyFromKeyObject,
} from './signer.ts';

/*
 * A development PKI: root CA → issuing CA → document-sealing certificate, created on first use
 * and reused afterwards, so a developer trusts the root once (in an NSS database, Acrobat, a
 * browser) and every seal made on that machine validates. Not for production: the keys sit on
 * disk unencrypted.
 */

export interface DevPki {
  rootPem: string;
  rootDer: Uint8Array;
  /** Issues per-signer certificates (pass it as the issuer to `issueCertificate`). */
  issuingCa: { certificate: Uint8Array; key: SigningKey };
  sealing: SealingIdentity;
}

const FILES = {
  rootCertificate: 'root-ca.crt.pem',
  rootKey: 'root-ca.key.pem',
  issuingCertificate: 'issuing-ca.crt.pem',
  issuingKey: 'issuing-ca.key.pem',
  sealingCertificate: 'sealing.crt.pem',
  sealingKey: 'sealing.key.pem',
} as const;
type PkiFile = keyof typeof FILES;
type PkiFiles = Record<PkiFile, string>;

/** Backdating absorbs clock skew between this host and whoever validates the seal. */
const BACKDATE_MS = 60 * 60 * 1000;

export async function loadOrCreateDevPki(dir: string): Promise<DevPki> {
  const existing = await readPkiFiles(dir);
  if (existing) return devPkiFromFiles(existing);
  const created = await createPkiFiles();
  await writePkiFiles(dir, created);
  return devPkiFromFiles(created);
}

/** All files, none (→ undefined), or an error: silently re-creating half a PKI would swap the root users trust. */
async function readPkiFiles(dir: string): Promise<PkiFiles | undefined> {
  const names = Object.keys(FILES) as PkiFile[];
  const present = await Promise.all(names.map((name) => fileExists(join(dir, FILES[name]))));
  if (present.every((p) => !p)) return undefined;
  const missing = names.filter((_, i) => !present[i]).map((name) => FILES[name]);
  if (missing.length > 0) {
    throw new SignetError(
      'DEV_PKI_INCOMPLETE',
      500,
      `development PKI in ${dir} lacks ${missing.join(', ')}; delete the directory to create a new one`,
    );
  }
  const contents = await Promise.all(names.map((name) => readFile(join(dir, FILES[name]), 'utf8')));
  return Object.fromEntries(names.map((name, i) => [name, contents[i]])) as PkiFiles;
}

function devPkiFromFiles(files: PkiFiles): DevPki {
  const root = new X509Certificate(files.rootCertificate);
  const issuing = new X509Certificate(files.issuingCertificate);
  const sealing = new X509Certificate(files.sealingCertificate);
  const issuingKey = createPrivateKey(files.issuingKey);
  return {
    rootPem: root.toString(),
    rootDer: new Uint8Array(root.raw),
    issuingCa: { certificate: new Uint8Array(issuing.raw), key: signingKeyFromKeyObject(issuingKey) },
    sealing: sealingIdentityFromKeyObject(createPrivateKey(files.sealingKey), new Uint8Array(sealing.raw), [
      new Uint8Array(issuing.raw),
      new Uint8Array(root.raw),
    ]),
  };
}

async function createPkiFiles(): Promise<PkiFiles> {
  const now = new Date();
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const yearsFromNow = (years: number) => {
    const date = new Date(now);
    date.setUTCFullYear(date.getUTCFullYear() + years);
    return date;
  };
  // A 20-year root outlives RSA-2048's horizon (NIST SP 800-57 Part 1 §5.6.3), hence 3072 for the CAs.
  const [rootKey, issuingKey, sealingKey] = await Promise.all([
    generateRsaKey(3072),
    generateRsaKey(3072),
    generateRsaKey(2048),
  ]);

  const rootCertificate = await issueCertificate(
    caProfile('Signet Development Root CA', rootKey, notBefore, yearsFromNow(20), null),
    { key: signingKeyFromKeyObject(rootKey) },
  );
  const issuingCertificate = await issueCertificate(
    caProfile('Signet Development Issuing CA', issuingKey, notBefore, yearsFromNow(10), 0),
    { certificate: rootCertificate, key: signingKeyFromKeyObject(rootKey) },
  );
  const sealingCertificate = await issueCertificate(sealingProfile(sealingKey, notBefore, yearsFromNow(3)), {
    certificate: issuingCertificate,
    key: signingKeyFromKeyObject(issuingKey),
  });

  return {
    rootCertificate: certificatePem(rootCertificate),
    rootKey: privateKeyPem(rootKey),
    issuingCertificate: certificatePem(issuingCertificate),
    issuingKey: privateKeyPem(issuingKey),
    sealingCertificate: certificatePem(sealingCertificate),
    sealingKey: privateKeyPem(sealingKey),
  };
}

function caProfile(
  commonName: string,
  key: KeyObject,
  notBefore: Date,
  notAfter: Date,
  pathLength: number | null,
): CertificateProfile {
  return {
    subject: { commonName, organization: 'Signet Development' },
    subjectPublicKey: subjectPublicKeyOf(key),
    notBefore,
    notAfter,
    ca: { pathLength },
    keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign],
  };
}

/**
 * digitalSignature + nonRepudiation (the "contentCommitment" of RFC 5280 §4.2.1.3) and no
 * extendedKeyUsage: pdfsig validates through NSS as an e-mail signer, and NSS rejects a
 * certificate whose extendedKeyUsage lacks emailProtection — which a sealing certificate
 * should not claim.
 */
function sealingProfile(key: KeyObject, notBefore: Date, notAfter: Date): CertificateProfile {
  return {
    subject: { commonName: 'Signet Document Sealing', organization: 'Signet Development' },
    subjectPublicKey: subjectPublicKeyOf(key),
    notBefore,
    notAfter,
    keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation],
  };
}

async function generateRsaKey(modulusLength: number): Promise<KeyObject> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength });
  return privateKey;
}

export function certificatePem(der: Uint8Array): string {
  return new X509Certificate(der).toString();
}

function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

async function writePkiFiles(dir: string, files: PkiFiles): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Keys last: a directory holding certificates but no keys is refused on the next start rather
  // than half-used.
  const order: PkiFile[] = [
    'rootCertificate',
    'issuingCertificate',
    'sealingCertificate',
    'rootKey',
    'issuingKey',
    'sealingKey',
  ];
  for (const name of order) {
    const mode = name.endsWith('Key') ? 0o600 : 0o644;
    await writeFileAtomically(join(dir, FILES[name]), files[name], mode);
  }
}

/** Write-then-rename, so a crash never leaves a truncated PEM that a later start would choke on. */
async function writeFileAtomically(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, content, { mode, flag: 'wx' });
  await rename(temporary, path);
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
