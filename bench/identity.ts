import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificate, KeyUsage, subjectPublicKeyOf } from '../src/pki/issue.ts';
import {
  type SealingIdentity,
  sealingIdentityFromKeyObject,
  signingKeyFromKeyObject,
} from '../src/pki/signer.ts';

/*
 * One RSA-2048 sealing key for every tool compared, so the peers sign with exactly the key
 * Signet signs with: Signet gets it as a SealingIdentity, @signpdf and mutool as a PKCS#12.
 * The chain has the shape of the dev PKI (root → issuing CA → sealing certificate), so the CMS
 * Signet builds embeds what it embeds in production (the sealing and issuing certificates).
 */

export interface BenchIdentity {
  identity: SealingIdentity;
  privateKey: KeyObject;
  /** PKCS#12 with the key, the sealing certificate and the chain, for the peers and child processes. */
  p12Path: string;
  p12Passphrase: string;
}

const P12_PASSPHRASE = 'signet-bench';
const DAY_MS = 86_400_000;

export async function createBenchIdentity(dir: string): Promise<BenchIdentity> {
  const now = Date.now();
  const validity = { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + 365 * DAY_MS) };
  const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  const rootKey = rsa();
  const root = await issueCertificate(
    {
      ...validity,
      subject: { commonName: 'Signet bench root CA', organization: 'Signet bench' },
      subjectPublicKey: subjectPublicKeyOf(rootKey),
      ca: { pathLength: null },
      keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign],
    },
    { key: signingKeyFromKeyObject(rootKey) },
  );
  const issuingKey = rsa();
  const issuing = await issueCertificate(
    {
      ...validity,
      subject: { commonName: 'Signet bench issuing CA', organization: 'Signet bench' },
      subjectPublicKey: subjectPublicKeyOf(issuingKey),
      ca: { pathLength: 0 },
      keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign],
    },
    { certificate: root, key: signingKeyFromKeyObject(rootKey) },
  );
  const sealingKey = rsa();
  const sealing = await issueCertificate(
    {
      ...validity,
      subject: { commonName: 'Signet bench seal', organization: 'Signet bench' },
      subjectPublicKey: subjectPublicKeyOf(sealingKey),
      keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation],
    },
    { certificate: issuing, key: signingKeyFromKeyObject(issuingKey) },
  );

  const keyPem = join(dir, 'seal.key.pem');
  const certPem = join(dir, 'seal.crt.pem');
  const chainPem = join(dir, 'chain.pem');
  const p12Path = join(dir, 'seal.p12');
  writeFileSync(keyPem, sealingKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(certPem, new X509Certificate(sealing).toString());
  writeFileSync(chainPem, [issuing, root].map((der) => new X509Certificate(der).toString()).join(''));
  // 3DES/SHA-1 PBE and MAC: the one PKCS#12 flavour node-forge (@signpdf), MuPDF and OpenSSL 3's
  // default provider all read. Only the container differs; the key inside is the same.
  execFileSync('openssl', [
    'pkcs12',
    '-export',
    '-inkey',
    keyPem,
    '-in',
    certPem,
    '-certfile',
    chainPem,
    '-keypbe',
    'PBE-SHA1-3DES',
    '-certpbe',
    'PBE-SHA1-3DES',
    '-macalg',
    'sha1',
    '-passout',
    `pass:${P12_PASSPHRASE}`,
    '-out',
    p12Path,
  ]);

  return {
    identity: sealingIdentityFromKeyObject(sealingKey, sealing, [issuing, root]),
    privateKey: sealingKey,
    p12Path,
    p12Passphrase: P12_PASSPHRASE,
  };
}
