import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { mkdir, realpath, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import * as pkijs from 'pkijs';
import { SignetError } from '../errors.ts';
import { parseCertificate } from './certificateFields.ts';
import {
  isRevocationReason,
  normalizeSerial,
  type RevocationReason,
  type RevokedEntry,
  serialOf,
} from './certificateRegistry.ts';
import { issueCrl } from './crl.ts';
import type { CertificationRequestContents } from './csr.ts';
import type { EncodedName } from './distinguishedName.ts';
import { generatePrivateKey } from './fileKeyStore.ts';
import { issueCertificate, KeyUsage, type RevocationPointers, subjectPublicKeyOf } from './issue.ts';
import { KEY_TYPES, type KeyType } from './keyStore.ts';
import { toPem } from './pem.ts';
import { readOptional } from './sealedKeyFile.ts';
import { type SigningKey, sealingIdentityFromKeyObject, signingKeyFromKeyObject } from './signer.ts';

/*
 * The offline root CA: made and used on a machine that is not the running installation (an
 * air-gapped laptop brought out for a key ceremony), so the key every relying party trusts is
 * never where an attacker of the server could use it. It signs the installation's issuing CA
 * from a CSR (installedCa.ts makes the request and installs the answer) and, every few months,
 * the root's CRL.
 *
 * Everything is in one directory the operator keeps, and backs up, offline:
 *   root-ca.key.pem        the root's PKCS#8 key, encrypted under a passphrase (mode 0600)
 *   root-ca.crt.pem        the root certificate: for relying parties and for `signet ca import`
 *   issued/SERIAL.crt.pem  every certificate the root signed (its register)
 *   revoked.json           the serials it revoked, listed in every CRL it signs
 *   crl-number             the last CRL number (RFC 5280 §5.2.3: strictly increasing)
 */

export const OFFLINE_CA_FILES = {
  key: 'root-ca.key.pem',
  certificate: 'root-ca.crt.pem',
  issued: 'issued',
  revoked: 'revoked.json',
  crlNumber: 'crl-number',
} as const;

/** A shorter passphrase is refused: a copied key file can be attacked at leisure. */
export const MIN_PASSPHRASE_LENGTH = 12;
/**
 * PBKDF2-HMAC-SHA256 iterations for the key file (OWASP's figure for SHA-256). Node's own
 * encrypted export takes OpenSSL's default of 2048, far too few for the key that guards a
 * root, hence pkijs' PKCS8ShroudedKeyBag, which takes the count. The result is ordinary PBES2
 * (RFC 8018 §6.2) that OpenSSL and Node read.
 */
const PBKDF2_ITERATIONS = 600_000;
/** Absorbs clock skew between this machine and whoever validates (as the development CA does). */
const BACKDATE_MS = 60 * 60 * 1000;
const DAY_MS = 86_400_000;

export interface OfflineRoot {
  dir: string;
  certificate: Uint8Array;
  /** The decrypted root key, which exists only in this process for one ceremony. */
  key: SigningKey;
}

export interface OfflineRootOptions {
  subject: EncodedName;
  passphrase: string;
  keyType: KeyType;
  validityYears: number;
  now?: Date;
}

/**
 * Refuses a directory inside the installation's DATA_DIR (compared after resolving symbolic
 * links): the point of an offline root is that nothing the server reads holds its key.
 */
export async function assertOutsideDataDir(dir: string, dataDir: string): Promise<void> {
  const target = await realpathOfNearest(resolve(dir));
  const data = await realpathOfNearest(resolve(dataDir));
  const path = relative(data, target);
  const inside = path === '' || (!path.startsWith('..') && !isAbsolute(path));
  if (inside) {
    throw new SignetError(
      'OFFLINE_CA_INSIDE_DATA_DIR',
      `${dir} is inside DATA_DIR (${dataDir}); keep the offline root on another machine or medium`,
    );
  }
}

/** The real path of `path`, or of its nearest existing ancestor with the rest appended. */
async function realpathOfNearest(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return join(await realpathOfNearest(parent), relative(parent, path));
  }
}

/** Makes the root key and self-signed certificate in `dir`; never replaces an existing root. */
export async function initOfflineRoot(dir: string, options: OfflineRootOptions): Promise<OfflineRoot> {
  assertPassphraseStrength(options.passphrase);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const file of [OFFLINE_CA_FILES.key, OFFLINE_CA_FILES.certificate]) {
    if ((await readOptional(join(dir, file))) !== undefined) {
      throw new SignetError(
        'OFFLINE_CA_EXISTS',
        `${join(dir, file)} exists; an offline root is never replaced`,
      );
    }
  }
  const now = options.now ?? new Date();
  const { algorithm, options: keyOptions } = KEY_TYPES[options.keyType];
  const privateKey = await generatePrivateKey(algorithm, keyOptions);
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + options.validityYears);
  const certificate = await issueCertificate(
    {
      subject: options.subject,
      subjectPublicKey: subjectPublicKeyOf(privateKey),
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter,
      ca: { pathLength: null },
      keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign],
    },
    { key: signingKeyFromKeyObject(privateKey) },
  );
  const encrypted = await encryptPrivateKey(privateKey, options.passphrase);
  // Exclusive creation: two ceremonies in one directory must not overwrite each other.
  await writeFile(join(dir, OFFLINE_CA_FILES.key), encrypted, { mode: 0o600, flag: 'wx' });
  await writeFile(join(dir, OFFLINE_CA_FILES.certificate), toPem('CERTIFICATE', certificate), {
    mode: 0o644,
    flag: 'wx',
  });
  return { dir, certificate, key: sealingIdentityFromKeyObject(privateKey, certificate, []) };
}

/** Reads the root of `dir` and decrypts its key with `passphrase`. */
export async function openOfflineRoot(dir: string, passphrase: string): Promise<OfflineRoot> {
  const keyPem = await readOptional(join(dir, OFFLINE_CA_FILES.key));
  const certificatePem = await readOptional(join(dir, OFFLINE_CA_FILES.certificate));
  if (keyPem === undefined || certificatePem === undefined) {
    throw new SignetError(
      'OFFLINE_CA_NOT_FOUND',
      `${dir} holds no offline root CA (${OFFLINE_CA_FILES.key} and ${OFFLINE_CA_FILES.certificate})`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: keyPem, format: 'pem', passphrase });
  } catch {
    throw new SignetError(
      'OFFLINE_CA_PASSPHRASE_INVALID',
      `cannot decrypt ${join(dir, OFFLINE_CA_FILES.key)}: wrong passphrase, or the file is damaged`,
    );
  }
  const certificate = new Uint8Array(new X509Certificate(certificatePem).raw);
  return { dir, certificate, key: sealingIdentityFromKeyObject(privateKey, certificate, []) };
}

export interface IssuingCaOptions {
  validityYears: number;
  /**
   * Where the issuing CA certificate says the root's certificate and CRL are published
   * (RFC 5280 §4.2.2.1, §4.2.1.13): B-LT validation data needs the CRL.
   */
  pointers: RevocationPointers;
  now?: Date;
}

/**
 * Certifies the key of a CSR as an issuing CA under the root: pathLenConstraint 0 (it certifies
 * end entities only), keyCertSign and cRLSign, the subject exactly as requested, no later than
 * the root expires. Records it in `issued/`.
 */
export async function signIssuingCa(
  root: OfflineRoot,
  request: CertificationRequestContents,
  options: IssuingCaOptions,
): Promise<Uint8Array> {
  const now = options.now ?? new Date();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + options.validityYears);
  const rootExpiry = new Date(new X509Certificate(root.certificate).validTo);
  const certificate = await issueCertificate(
    {
      subject: request.subject,
      subjectPublicKey: request.publicKey,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: notAfter < rootExpiry ? notAfter : rootExpiry,
      ca: { pathLength: 0 },
      keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign],
      revocation: options.pointers,
    },
    { certificate: root.certificate, key: root.key },
  );
  const serial = serialOf(parseCertificate(certificate).serialNumber);
  await mkdir(join(root.dir, OFFLINE_CA_FILES.issued), { recursive: true, mode: 0o700 });
  await writeFile(
    join(root.dir, OFFLINE_CA_FILES.issued, `${serial}.crt.pem`),
    toPem('CERTIFICATE', certificate),
    {
      flag: 'wx',
    },
  );
  return certificate;
}

export interface RootCrlOptions {
  /** Adds this certificate (one the root issued) to the revoked list first. */
  revoke?: { serial: string; reason: RevocationReason };
  validityDays: number;
  now?: Date;
}

/**
 * The root's CRL (RFC 5280 §5), listing every certificate it revoked. An offline CRL is signed
 * rarely, so it lasts `validityDays`; it must be signed again and imported before it runs out,
 * or B-LT seals stop (their validation data would hold an expired CRL).
 */
export async function issueRootCrl(root: OfflineRoot, options: RootCrlOptions): Promise<Uint8Array> {
  const now = options.now ?? new Date();
  const revoked = await readRevoked(root.dir);
  if (options.revoke) {
    const serial = normalizeSerial(options.revoke.serial);
    if ((await readOptional(join(root.dir, OFFLINE_CA_FILES.issued, `${serial}.crt.pem`))) === undefined) {
      throw new SignetError(
        'CERTIFICATE_NOT_FOUND',
        `the root in ${root.dir} issued no certificate ${serial}`,
      );
    }
    if (revoked.some((entry) => entry.serial === serial)) {
      throw new SignetError('CERTIFICATE_ALREADY_REVOKED', `certificate ${serial} is already revoked`);
    }
    revoked.push({ serial, revokedAt: now, reason: options.revoke.reason });
    await writeAtomically(join(root.dir, OFFLINE_CA_FILES.revoked), `${JSON.stringify(revoked, null, 2)}\n`);
  }
  const crlNumber = (await readCrlNumber(root.dir)) + 1n;
  await writeAtomically(join(root.dir, OFFLINE_CA_FILES.crlNumber), `${crlNumber}\n`);
  return issueCrl(
    { certificate: root.certificate, key: root.key },
    revoked,
    crlNumber,
    now,
    options.validityDays * DAY_MS,
  );
}

function assertPassphraseStrength(passphrase: string): void {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new SignetError(
      'OFFLINE_CA_PASSPHRASE_INVALID',
      `the passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long`,
    );
  }
}

/** RFC 5958 EncryptedPrivateKeyInfo with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), as PEM. */
async function encryptPrivateKey(privateKey: KeyObject, passphrase: string): Promise<string> {
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const bag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(pkcs8) });
  await bag.makeInternalValues({
    // RFC 8018 §6.2.1: PBES2 takes the password as octets; UTF-8, as OpenSSL and Node read it.
    password: new Uint8Array(Buffer.from(passphrase, 'utf8')).buffer,
    contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 },
    hmacHashAlgorithm: 'SHA-256',
    iterationCount: PBKDF2_ITERATIONS,
  });
  const der = Buffer.from(bag.toSchema().toBER());
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${lines.join('\n')}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
}

async function readRevoked(dir: string): Promise<RevokedEntry[]> {
  const text = await readOptional(join(dir, OFFLINE_CA_FILES.revoked));
  if (text === undefined) return [];
  const entries = JSON.parse(text) as { serial: string; revokedAt: string; reason: string }[];
  return entries.map((entry) => {
    if (!isRevocationReason(entry.reason)) throw new Error(`unknown reason in revoked.json: ${entry.reason}`);
    return {
      serial: normalizeSerial(entry.serial),
      revokedAt: new Date(entry.revokedAt),
      reason: entry.reason,
    };
  });
}

async function readCrlNumber(dir: string): Promise<bigint> {
  const text = await readOptional(join(dir, OFFLINE_CA_FILES.crlNumber));
  return text === undefined ? 0n : BigInt(text.trim());
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await rename(temporary, path);
}
