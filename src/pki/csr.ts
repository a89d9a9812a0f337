import { createPublicKey, verify } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SignetError } from '../errors.ts';
import { SIGNATURE_DIGESTS, signatureAlgorithmIdentifier } from './algorithms.ts';
import { type EncodedName, formatDistinguishedName } from './distinguishedName.ts';
import { singleDerOrPem } from './pem.ts';
import type { SigningKey } from './signer.ts';

/*
 * PKCS#10 certification requests (RFC 2986): how a key that never leaves its store — the
 * issuing CA's, or a sealing key in a PKCS#11 token — asks a CA for a certificate. The request
 * is signed through `SigningKey.sign`, so a token key signs it inside the token.
 */

/** What signs a request: a key and its public half (a `StoredKey` is one). */
export interface RequestingKey {
  key: SigningKey;
  /** DER SubjectPublicKeyInfo. */
  publicKey: Uint8Array;
}

export async function createCertificationRequest(
  requester: RequestingKey,
  subject: EncodedName,
): Promise<Uint8Array> {
  const request = new pkijs.CertificationRequest({
    version: 0, // RFC 2986 §4.1
    subject: pkijs.RelativeDistinguishedNames.fromBER(subject.der),
    subjectPublicKeyInfo: pkijs.PublicKeyInfo.fromBER(requester.publicKey),
    // §4.1: `attributes [0]` is not optional, even when empty. The CA decides the extensions.
    attributes: [],
  });
  request.signatureAlgorithm = signatureAlgorithmIdentifier(requester.key.signatureAlgorithm);
  // encodeTBS is protected in pkijs' typings; it is the CertificationRequestInfo.
  const info = (request as unknown as { encodeTBS(): asn1js.Sequence }).encodeTBS();
  const tbs = new Uint8Array(info.toBER());
  request.tbsView = tbs;
  request.signatureValue = new asn1js.BitString({ valueHex: await requester.key.sign(tbs) });
  return new Uint8Array(request.toSchema().toBER());
}

export interface CertificationRequestContents {
  /** The requested subject, byte for byte as the requester encoded it. */
  subject: EncodedName;
  /** The subject as RFC 4514 text, for people to check. */
  subjectText: string;
  /** DER SubjectPublicKeyInfo of the key to certify. */
  publicKey: Uint8Array;
}

/**
 * Reads a request (PEM or DER) and checks its signature with the key it carries: the proof
 * that whoever asks holds the private key (RFC 2986 §3). `what` names the file in errors.
 */
export function readCertificationRequest(bytes: Uint8Array, what: string): CertificationRequestContents {
  const der = singleDerOrPem(bytes, 'CERTIFICATE REQUEST', what);
  let request: pkijs.CertificationRequest;
  try {
    request = pkijs.CertificationRequest.fromBER(der);
  } catch {
    throw new SignetError('CSR_INVALID', `${what} is not a PKCS#10 certification request`);
  }
  const publicKey = new Uint8Array(request.subjectPublicKeyInfo.toSchema().toBER());
  const digest = SIGNATURE_DIGESTS[request.signatureAlgorithm.algorithmId];
  if (!digest) {
    throw new SignetError(
      'CSR_INVALID',
      `${what} is signed with ${request.signatureAlgorithm.algorithmId}; expected RSA or ECDSA with SHA-2`,
    );
  }
  const key = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
  const signature = request.signatureValue.valueBlock.valueHexView;
  if (!verify(digest, request.tbsView, key, signature)) {
    throw new SignetError('CSR_INVALID', `the signature of ${what} does not verify with the key it names`);
  }
  const subject = { der: new Uint8Array(request.subject.toSchema().toBER()) };
  return { subject, subjectText: formatDistinguishedName(subject.der), publicKey };
}
