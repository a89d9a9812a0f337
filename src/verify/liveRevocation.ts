import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { ParsedCertificate } from './certificates.ts';
import type { RevocationData } from './revocation.ts';

/*
 * The I/O edge of revocation checking: asks the certificate's OCSP responder (AIA, RFC 5280
 * §4.2.2.1) and, failing that, downloads its CRL (CRL distribution point, §4.2.1.13). Used only
 * when the caller allows live look-ups and the file carries nothing; every answer is marked
 * `live` so the report can say so.
 */

const SHA1 = '1.3.14.3.2.26';
/** Nothing legitimate is larger: a CRL of a big CA is a few MiB. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export interface LiveRevocationOptions {
  fetch: typeof fetch;
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
      errors.push(`OCSP ${url}: ${(error as Error).message}`);
    }
  }
  for (const url of certificate.crlUrls()) {
    try {
      const der = await get(url, options);
      return { ocspResponses: [], crls: [{ der, source: 'live' }], errors };
    } catch (error) {
      errors.push(`CRL ${url}: ${(error as Error).message}`);
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
  const response = await options.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request' },
    body,
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  return readBody(response);
}

async function get(url: string, options: LiveRevocationOptions): Promise<Uint8Array> {
  const response = await options.fetch(url, { signal: AbortSignal.timeout(options.timeoutMs) });
  const bytes = await readBody(response);
  const text = Buffer.from(bytes).toString('latin1');
  if (text.startsWith('-----BEGIN')) {
    return new Uint8Array(Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
  }
  return bytes;
}

async function readBody(response: Response): Promise<Uint8Array> {
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_RESPONSE_BYTES) throw new Error('response too large');
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_RESPONSE_BYTES) throw new Error('response too large');
  return bytes;
}
