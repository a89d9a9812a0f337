import { createPublicKey, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { SignetError } from '../errors.ts';
import { parseCertificate } from './certificateFields.ts';
import { KeyUsage, type KeyUsageBit, X509_OID } from './issue.ts';

/*
 * Checks on certificates someone else issued before Signet installs them: the issuing CA an
 * offline root signed, or the seal certificate a CA sold for a key in the token. Each refusal
 * names the certificate and what is wrong with it, because the operator has to go back to the
 * CA with it.
 */

/** "CN=…, O=…" in one line, for messages. */
export function describeCertificate(certificate: X509Certificate): string {
  return certificate.subject.replace(/\n/g, ', ');
}

const chainInvalid = (detail: string) => new SignetError('CERTIFICATE_CHAIN_INVALID', detail);

/** Whether `certificate` certifies the public key `spki` (DER SubjectPublicKeyInfo). */
export function certifiesKey(certificate: X509Certificate, spki: Uint8Array): boolean {
  return certificate.publicKey.equals(
    createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
  );
}

export function isSelfSigned(certificate: X509Certificate): boolean {
  return certificate.checkIssued(certificate) && certificate.verify(certificate.publicKey);
}

/**
 * The issuers of `leaf` taken from `pool`, nearest first, ending with a self-signed root. Every
 * link must verify, every issuer be a CA allowed to sign certificates, every certificate be
 * valid at `now` (when given), and nothing in the pool be left over: the operator is
 * installing exactly this chain, so a stray certificate is more likely a mistake than
 * something to ignore.
 */
export function issuerChain(leaf: Uint8Array, pool: Uint8Array[], now: Date | undefined): Uint8Array[] {
  const leafView = new X509Certificate(leaf);
  if (now) assertCurrent(leafView, now);
  const remaining = pool.filter((der) => !Buffer.from(der).equals(Buffer.from(leaf)));
  const chain: Uint8Array[] = [];
  let current = leafView;
  while (!isSelfSigned(current)) {
    const child = current;
    const index = remaining.findIndex((der) => {
      const candidate = new X509Certificate(der);
      return child.checkIssued(candidate) && child.verify(candidate.publicKey);
    });
    const issuer = remaining[index];
    if (issuer === undefined) {
      throw chainInvalid(
        `no certificate given issued "${describeCertificate(child)}" (its issuer is "${child.issuer.replace(/\n/g, ', ')}"): add the CA certificates up to and including the root`,
      );
    }
    remaining.splice(index, 1);
    const issuerView = new X509Certificate(issuer);
    assertCanIssue(issuerView);
    if (now) assertCurrent(issuerView, now);
    chain.push(issuer);
    current = issuerView;
  }
  if (remaining.length > 0) {
    const strays = remaining.map((der) => `"${describeCertificate(new X509Certificate(der))}"`).join(', ');
    throw chainInvalid(`not part of the chain of "${describeCertificate(leafView)}": ${strays}`);
  }
  return chain;
}

/** A CA certificate (basicConstraints cA) whose keyUsage, when present, allows keyCertSign (RFC 5280 §4.2.1.3). */
export function assertCanIssue(certificate: X509Certificate): void {
  if (!certificate.ca) {
    throw chainInvalid(
      `"${describeCertificate(certificate)}" is not a CA certificate (basicConstraints cA is not set)`,
    );
  }
  const usage = keyUsageOf(certificate);
  if (usage && !usage.includes(KeyUsage.keyCertSign)) {
    throw chainInvalid(`"${describeCertificate(certificate)}" may not sign certificates (no keyCertSign)`);
  }
}

/** An end entity whose keyUsage, when present, allows signatures (digitalSignature or nonRepudiation). */
export function assertCanSignDocuments(certificate: X509Certificate): void {
  if (certificate.ca) {
    throw chainInvalid(
      `"${describeCertificate(certificate)}" is a CA certificate, not one to sign documents with`,
    );
  }
  const usage = keyUsageOf(certificate);
  if (usage && !usage.includes(KeyUsage.digitalSignature) && !usage.includes(KeyUsage.nonRepudiation)) {
    throw chainInvalid(
      `"${describeCertificate(certificate)}" may not sign documents (its keyUsage has neither digitalSignature nor nonRepudiation)`,
    );
  }
}

export function assertCurrent(certificate: X509Certificate, now: Date): void {
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  if (now < notBefore) {
    throw chainInvalid(
      `"${describeCertificate(certificate)}" is not valid before ${notBefore.toISOString()}`,
    );
  }
  if (now > notAfter) {
    throw chainInvalid(`"${describeCertificate(certificate)}" expired on ${notAfter.toISOString()}`);
  }
}

/** The keyUsage bits set (RFC 5280 §4.2.1.3), or undefined when the extension is absent. */
function keyUsageOf(certificate: X509Certificate): KeyUsageBit[] | undefined {
  const extension = parseCertificate(new Uint8Array(certificate.raw)).extensions?.find(
    (candidate) => candidate.extnID === X509_OID.keyUsage,
  );
  if (!extension) return undefined;
  const bits = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result;
  if (!(bits instanceof asn1js.BitString)) return [];
  const bytes = bits.valueBlock.valueHexView;
  return Object.values(KeyUsage).filter(
    (bit) => ((bytes[Math.floor(bit / 8)] ?? 0) & (0x80 >> (bit % 8))) !== 0,
  );
}
