import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { type OutboundClient, outboundFailureOf } from '../outbound/outboundHttp.ts';
import type { ParsedCertificate } from './certificates.ts';
import type { RevocationData } from './revocation.ts';

/*
 * The I/O edge of revocation checking: asks the certificate's OCSP responder (AIA, RFC 5280
 * §4.2.2.1) and, failing that, downloads its CRL (CRL distribution point, §4.2.1.13). Used only
 * when the caller allows live look-ups and the file carries nothing; every answer is marked
 * `live` so the report can say so. The URLs come from whoever made the PDF, so they are asked
 * as a tenant's (src/outbound/): public addresses only unless the operator allows more.
 */

const SHA1 = '1.3.14.3.2.26';
/** Nothing legitimate is larger: a CRL of a big CA is a few MiB. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export interface LiveRevocationOptions {
  outbound: OutboundClient;
  timeoutMs: number;
}

export async function fetchLiveRevocation(
  certificate: ParsedCertificate,
  issuer: ParsedCertificate,
  options: LiveRevocationOptions,
): Promise<RevocationData & { errors: string[] }> {
  const errors: string[] = [];
  for (const url of certificate.ocspUrls()) {
    try {
      const der = await post(url, ocspRequest(certificate, issuer), options);
      return { ocspResponses: [{ der, source: 'live' }], crls: [], errors };
    } catch (error) {
      errors.push(`OCSP ${url}: ${describe(error)}`);
    }
  }
  for (const url of certificate.crlUrls()) {
    try {
      const der = await get(url, options);
      return { ocspResponses: [], crls: [{ der, source: 'live' }], errors };
    } catch (error) {
      errors.push(`CRL ${url}: ${describe(error)}`);
    }
  }
  return { ocspResponses: [], crls: [], errors };
}

/** RFC 6960 §4.1.1, with a SHA-1 CertID: the one hash every responder understands. */
export function ocspRequest(certificate: ParsedCertificate, issuer: ParsedCertificate): Uint8Array {
  const certId = new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA1, algorithmParams: new asn1js.Null() }),
    issuerNameHash: new asn1js.OctetString({
      valueHex: createHash('sha1').update(issuer.subjectDer).digest(),
    }),
    issuerKeyHash: new asn1js.OctetString({
      valueHex: createHash('sha1')
        .update(issuer.pkijs.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
        .digest(),
    }),
    serialNumber: new asn1js.Integer({ valueHex: certificate.pkijs.serialNumber.valueBlock.valueHexView }),
  });
  const request = new pkijs.OCSPRequest();
  request.tbsRequest.requestList = [new pkijs.Request({ reqCert: certId })];
  return new Uint8Array(request.toSchema(true).toBER());
}

async function post(url: string, body: Uint8Array, options: LiveRevocationOptions): Promise<Uint8Array> {
  const answer = await options.outbound.request({
    url,
    policy: 'tenant',
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request' },
    body,
    maxBytes: MAX_RESPONSE_BYTES,
    timeoutMs: options.timeoutMs,
  });
  return answer.body;
}

async function get(url: string, options: LiveRevocationOptions): Promise<Uint8Array> {
  const answer = await options.outbound.request({
    url,
    policy: 'tenant',
    maxBytes: MAX_RESPONSE_BYTES,
    timeoutMs: options.timeoutMs,
  });
  const text = Buffer.from(answer.body).toString('latin1');
  if (text.startsWith('-----BEGIN')) {
    return new Uint8Array(Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
  }
  return answer.body;
}

/** A failure in the outbound module's few words ("address refused", "HTTP 404"). */
function describe(error: unknown): string {
  return outboundFailureOf(error)?.reason ?? 'failed';
}
