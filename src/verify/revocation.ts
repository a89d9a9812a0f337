import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { EXTENDED_KEY_USAGE, ParsedCertificate } from './certificates.ts';
import { DIGEST_ALGORITHMS, verifyWithCertificate } from './cmsSignedData.ts';
import type { RevocationCheck, RevocationSource } from './report.ts';

/*
 * Revocation status of one certificate at one time, from OCSP responses (RFC 6960) and CRLs
 * (RFC 5280 §5) that are at hand: in the /DSS, in the CMS, or fetched live. Pure: whoever has
 * the bytes passes them in. A response only counts when its signature verifies — by the CA
 * itself or by a delegated responder the CA issued with id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
 */

export interface RevocationEvidence {
  der: Uint8Array;
  source: RevocationSource;
}

export interface RevocationData {
  ocspResponses: RevocationEvidence[];
  crls: RevocationEvidence[];
}

export const ID_PKIX_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';

interface Answer {
  status: 'good' | 'revoked' | 'unknown';
  kind: 'ocsp' | 'crl';
  source: RevocationSource;
  issuedAt: Date;
  revokedAt?: Date;
}

/**
 * The status of `certificate` (issued by `issuer`) at `at`. A certificate revoked after `at`
 * was good when it was used; one revoked at or before `at` was not.
 * @param responders certificates that may have signed an OCSP response besides those inside it.
 */
export function checkRevocation(
  certificate: ParsedCertificate,
  issuer: ParsedCertificate,
  at: Date,
  data: RevocationData,
  responders: ParsedCertificate[] = [],
): RevocationCheck & { ignored: number } {
  const answers: Answer[] = [];
  let ignored = 0;
  for (const evidence of data.ocspResponses) {
    const answer = answerFromOcsp(evidence, certificate, issuer, responders);
    if (answer === 'not-about-this-certificate') continue;
    if (answer === 'unverifiable') ignored++;
    else answers.push(answer);
  }
  for (const evidence of data.crls) {
    const answer = answerFromCrl(evidence, certificate, issuer);
    if (answer === 'not-about-this-certificate') continue;
    if (answer === 'unverifiable') ignored++;
    else answers.push(answer);
  }
  const name = certificate.displayName;
  const revoked = answers.find((a) => a.status === 'revoked' && a.revokedAt && a.revokedAt <= at);
  if (revoked) {
    return {
      ...describe(revoked, name),
      status: 'revoked',
      message: `"${name}" was revoked on ${revoked.revokedAt?.toISOString()}, before ${at.toISOString()} (${revoked.kind.toUpperCase()}, ${revoked.source})`,
      ignored,
    };
  }
  const revokedLater = answers.find((a) => a.status === 'revoked');
  if (revokedLater) {
    return {
      ...describe(revokedLater, name),
      status: 'good',
      message: `"${name}" was revoked on ${revokedLater.revokedAt?.toISOString()}, after ${at.toISOString()}: it was good when used`,
      ignored,
    };
  }
  // Prefer answers issued after the time in question: only they speak for that moment.
  const good = answers
    .filter((a) => a.status === 'good')
    .sort(
      (a, b) =>
        Number(b.issuedAt >= at) - Number(a.issuedAt >= at) ||
        Number(b.source !== 'live') - Number(a.source !== 'live'),
    )[0];
  if (good) {
    return {
      ...describe(good, name),
      message: `"${name}" is not revoked according to ${good.kind.toUpperCase()} data (${good.source}) issued ${good.issuedAt.toISOString()}`,
      ignored,
    };
  }
  const unknown = answers[0];
  if (unknown) {
    return { ...describe(unknown, name), message: `the OCSP responder does not know "${name}"`, ignored };
  }
  return {
    certificate: name,
    status: 'not-checked',
    message:
      ignored > 0
        ? `no usable revocation data for "${name}" (${ignored} response(s) ignored: not verifiable)`
        : `no revocation data for "${name}"`,
    ignored,
  };
}

function describe(answer: Answer, name: string): RevocationCheck {
  return {
    certificate: name,
    status: answer.status,
    source: answer.source,
    kind: answer.kind,
    issuedAt: answer.issuedAt.toISOString(),
    ...(answer.revokedAt ? { revokedAt: answer.revokedAt.toISOString() } : {}),
    message: '',
  };
}

type Outcome = Answer | 'not-about-this-certificate' | 'unverifiable';

/** Accepts a full OCSPResponse (what the DSS and CMS hold) or a bare BasicOCSPResponse. */
export function parseBasicOcspResponse(der: Uint8Array): pkijs.BasicOCSPResponse | undefined {
  try {
    const response = pkijs.OCSPResponse.fromBER(der);
    if (response.responseStatus.valueBlock.valueDec !== 0 || !response.responseBytes) return undefined;
    if (response.responseBytes.responseType !== ID_PKIX_OCSP_BASIC) return undefined;
    return pkijs.BasicOCSPResponse.fromBER(response.responseBytes.response.valueBlock.valueHexView);
  } catch {
    try {
      return pkijs.BasicOCSPResponse.fromBER(der);
    } catch {
      return undefined;
    }
  }
}

function answerFromOcsp(
  evidence: RevocationEvidence,
  certificate: ParsedCertificate,
  issuer: ParsedCertificate,
  responders: ParsedCertificate[],
): Outcome {
  const basic = parseBasicOcspResponse(evidence.der);
  if (!basic) return 'not-about-this-certificate';
  const single = basic.tbsResponseData.responses.find((r) => certIdMatches(r.certID, certificate, issuer));
  if (!single) return 'not-about-this-certificate';
  if (!ocspSignatureVerifies(basic, issuer, responders)) return 'unverifiable';
  const status = single.certStatus as asn1js.BaseBlock;
  const tag = status.idBlock.tagNumber;
  const base = { kind: 'ocsp' as const, source: evidence.source, issuedAt: basic.tbsResponseData.producedAt };
  if (tag === 0) return { ...base, status: 'good' };
  if (tag === 1) {
    const revokedAt = revocationTimeOf(status);
    return { ...base, status: 'revoked', ...(revokedAt ? { revokedAt } : {}) };
  }
  return { ...base, status: 'unknown' };
}

/** RFC 6960 §4.1.1: CertID hashes the issuer's name and public key, with the serial number. */
function certIdMatches(
  certId: pkijs.CertID,
  certificate: ParsedCertificate,
  issuer: ParsedCertificate,
): boolean {
  const hash = DIGEST_ALGORITHMS[certId.hashAlgorithm.algorithmId];
  if (!hash) return false;
  const serial = Buffer.from(certId.serialNumber.valueBlock.valueHexView);
  if (!serial.equals(Buffer.from(certificate.pkijs.serialNumber.valueBlock.valueHexView))) return false;
  const nameHash = createHash(hash).update(issuer.subjectDer).digest();
  const keyHash = createHash(hash).update(issuerKeyBits(issuer)).digest();
  return (
    nameHash.equals(Buffer.from(certId.issuerNameHash.valueBlock.valueHexView)) &&
    keyHash.equals(Buffer.from(certId.issuerKeyHash.valueBlock.valueHexView))
  );
}

function issuerKeyBits(issuer: ParsedCertificate): Uint8Array {
  return issuer.pkijs.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
}

/** RFC 6960 §4.2.2.2: signed by the CA, or by a responder certificate the CA issued for OCSP signing. */
function ocspSignatureVerifies(
  basic: pkijs.BasicOCSPResponse,
  issuer: ParsedCertificate,
  responders: ParsedCertificate[],
): boolean {
  const tbs = basic.tbsResponseData.tbsView;
  const signature = basic.signature.valueBlock.valueHexView;
  const embedded = (basic.certs ?? []).flatMap((c) => {
    const parsed = parseEmbedded(c);
    return parsed ? [parsed] : [];
  });
  const candidates = [issuer, ...embedded, ...responders].filter((c) => responderIdMatches(basic, c));
  return candidates.some((candidate) => {
    if (!verifyWithCertificate(tbs, signature, candidate, basic.signatureAlgorithm)) return false;
    if (candidate.sha256 === issuer.sha256) return true;
    const at = basic.tbsResponseData.producedAt;
    return (
      candidate.isIssuedBy(issuer) &&
      (candidate.extendedKeyUsage() ?? []).includes(EXTENDED_KEY_USAGE.ocspSigning) &&
      at >= candidate.notBefore &&
      at <= candidate.notAfter
    );
  });
}

function parseEmbedded(certificate: pkijs.Certificate): ParsedCertificate | undefined {
  return ParsedCertificate.parse(new Uint8Array(certificate.toSchema().toBER()));
}

/** ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash (SHA-1 of the key bits) }. */
function responderIdMatches(basic: pkijs.BasicOCSPResponse, candidate: ParsedCertificate): boolean {
  const responderId = basic.tbsResponseData.responderID;
  if (responderId instanceof pkijs.RelativeDistinguishedNames) {
    return Buffer.from(responderId.toSchema().toBER()).equals(candidate.subjectDer);
  }
  if (responderId instanceof asn1js.OctetString) {
    const keyHash = createHash('sha1').update(issuerKeyBits(candidate)).digest();
    return keyHash.equals(Buffer.from(responderId.valueBlock.valueHexView));
  }
  return false;
}

function revocationTimeOf(status: asn1js.BaseBlock): Date | undefined {
  const inner = (status as asn1js.Constructed).valueBlock?.value?.[0];
  if (inner instanceof asn1js.GeneralizedTime) return inner.toDate();
  return undefined;
}

function answerFromCrl(
  evidence: RevocationEvidence,
  certificate: ParsedCertificate,
  issuer: ParsedCertificate,
): Outcome {
  let crl: pkijs.CertificateRevocationList;
  try {
    crl = pkijs.CertificateRevocationList.fromBER(evidence.der);
  } catch {
    return 'not-about-this-certificate';
  }
  if (!Buffer.from(crl.issuer.toSchema().toBER()).equals(certificate.issuerDer))
    return 'not-about-this-certificate';
  const tbs = new Uint8Array(crl.tbsView);
  if (
    !verifyWithCertificate(tbs, crl.signatureValue.valueBlock.valueHexView, issuer, crl.signatureAlgorithm)
  ) {
    return 'unverifiable';
  }
  const serial = Buffer.from(certificate.pkijs.serialNumber.valueBlock.valueHexView);
  const entry = crl.revokedCertificates?.find((r) =>
    Buffer.from(r.userCertificate.valueBlock.valueHexView).equals(serial),
  );
  const base = { kind: 'crl' as const, source: evidence.source, issuedAt: crl.thisUpdate.value };
  if (!entry) return { ...base, status: 'good' };
  return { ...base, status: 'revoked', revokedAt: entry.revocationDate.value };
}
