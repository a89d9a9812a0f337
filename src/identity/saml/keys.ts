import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

const TEN_YEARS_MS = 10 * 365.25 * 24 * 3600 * 1000;

/**
 * A Service Provider key pair: RSA-2048 (made by node:crypto) and a self-signed SHA-256
 * certificate valid for ten years. SAML metadata pins the certificate itself, so no CA is needed
 * (SAML metadata §2.4.1.1, KeyDescriptor). Synchronous so callers can create it lazily.
 */
export function createSpKeyPair(commonName: string): { privateKeyPem: string; certificatePem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // A positive 16-byte serial (RFC 5280 §4.1.2.2): clear the top bit.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  certificate.serialNumber = serial.toString('hex');
  const now = Date.now();
  certificate.validity.notBefore = new Date(now - 60_000);
  certificate.validity.notAfter = new Date(now + TEN_YEARS_MS);
  const name = [{ name: 'commonName', value: commonName }];
  certificate.setSubject(name);
  certificate.setIssuer(name);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md.sha256.create());
  return { privateKeyPem, certificatePem: forge.pki.certificateToPem(certificate) };
}
