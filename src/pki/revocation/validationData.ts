import {
  createHash,
  createPublicKey,
  randomBytes,
  verify as verifySignature,
  X509Certificate,
} from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SignetError } from '../../errors.ts';
import {
  defaultOutboundClient,
  type OutboundClient,
  outboundFailureOf,
} from '../../outbound/outboundHttp.ts';
import {
  derOf,
  extendedKeyUsageOf,
  hasOcspNoCheck,
  isSelfIssued,
  parseCertificate,
  pointersOf,
  sameBytes,
} from '../certificateFields.ts';
import { KeyPurpose } from '../issue.ts';
import { CERT_ID_HASHES, OCSP_OID, OcspResponseStatus } from '../ocspResponder.ts';

/*
 * Collects what a PDF's Document Security Store needs for long-term validation (ETSI EN 319
 * 142-1 §5.4, PAdES B-LT): for every certificate that is not a trust anchor, a fresh OCSP
 * response from its AIA responder (RFC 6960) and the CRL from its distribution point (RFC
 * 5280), each verified — signature, that it speaks of this certificate, that it is current —
 * and the status must be good. Responses are cached: OCSP until nextUpdate or OCSP_MAX_AGE_MS,
 * whichever is first; CRLs until nextUpdate.
 */

export interface ValidationData {
  /** The input certificates plus any fetched issuers and OCSP responder certificates (DER). */
  certificates: Uint8Array[];
  /** DER OCSPResponse (the whole response, as DSS /OCSPs holds it). */
  ocspResponses: Uint8Array[];
  /** DER CertificateList. */
  crls: Uint8Array[];
}

export interface CacheCounters {
  ocspHits: number;
  ocspMisses: number;
  crlHits: number;
  crlMisses: number;
}

export interface ValidationDataCollector {
  /** `certificates`: a signer chain plus TSA chains, in any order, DER. */
  collect(certificates: Uint8Array[]): Promise<ValidationData>;
  counters(): CacheCounters;
}

/** Answers a request in-process (for URLs of this installation); the body is the OCSP request for POSTs. */
export type LocalEndpoint = (body: Uint8Array | undefined) => Promise<Uint8Array>;

export interface ValidationDataOptions {
  timeoutMs: number;
  /** Exact URLs answered in-process instead of over HTTP (Signet's own OCSP responder and CRLs). */
  localEndpoints?: Map<string, LocalEndpoint>;
  ocspMaxAgeMs?: number;
  now?: () => Date;
  /** How responders and CRL servers are asked (the platform's; by default the module's own). */
  outbound?: OutboundClient;
}

/** An OCSP answer is reused for at most this long even if its nextUpdate is later. */
export const OCSP_MAX_AGE_MS = 5 * 60 * 1000;
/** Tolerated clock difference between us and a responder (thisUpdate slightly in our future). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const MAX_BODY_BYTES = 10 * 1024 * 1024;

const SIGNATURE_DIGESTS: Record<string, 'sha1' | 'sha256' | 'sha384' | 'sha512'> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

interface Cached<T> {
  value: T;
  expiresAt: number;
}

interface OcspResult {
  response: Uint8Array;
  responderCertificate: Uint8Array | undefined;
}

export function createValidationDataCollector(options: ValidationDataOptions): ValidationDataCollector {
  const now = options.now ?? (() => new Date());
  const maxAge = options.ocspMaxAgeMs ?? OCSP_MAX_AGE_MS;
  const ocspCache = new Map<string, Cached<OcspResult>>();
  const crlCache = new Map<string, Cached<Uint8Array>>();
  const counters: CacheCounters = { ocspHits: 0, ocspMisses: 0, crlHits: 0, crlMisses: 0 };

  const outbound = options.outbound ?? defaultOutboundClient();
  const exchange = (url: string, body?: Uint8Array): Promise<Uint8Array> => {
    const local = options.localEndpoints?.get(url);
    if (local) return local(body);
    return httpExchange(outbound, url, body, options.timeoutMs);
  };

  const ocspFor = async (subject: Certified, issuer: Certified, url: string): Promise<OcspResult> => {
    const key = fingerprint(subject.der);
    const cached = ocspCache.get(key);
    if (cached && cached.expiresAt > now().getTime()) {
      counters.ocspHits++;
      return cached.value;
    }
    counters.ocspMisses++;
    const nonce = new Uint8Array(randomBytes(16));
    const response = await exchange(url, ocspRequest(subject.parsed, issuer.parsed, nonce));
    const checked = checkOcspResponse(response, subject, issuer, nonce, now());
    const fetchedAt = now().getTime();
    const expiresAt = Math.min(fetchedAt + maxAge, checked.nextUpdate?.getTime() ?? fetchedAt + maxAge);
    const value = { response, responderCertificate: checked.responderCertificate };
    ocspCache.set(key, { value, expiresAt });
    return value;
  };

  const crlFor = async (
    issuer: Certified,
    url: string,
  ): Promise<{ der: Uint8Array; crl: pkijs.CertificateRevocationList }> => {
    const cached = crlCache.get(url);
    if (cached && cached.expiresAt > now().getTime()) {
      counters.crlHits++;
      return { der: cached.value, crl: pkijs.CertificateRevocationList.fromBER(cached.value) };
    }
    counters.crlMisses++;
    const der = await exchange(url);
    const crl = checkCrl(der, issuer, now());
    // A CRL without nextUpdate (§5.1.2.5 says it must have one) is not cached.
    crlCache.set(url, { value: der, expiresAt: crl.nextUpdate?.value.getTime() ?? 0 });
    return { der, crl };
  };

  return {
    counters: () => ({ ...counters }),
    async collect(input) {
      const pool = dedupe(input.map(certified));
      const output = new Map(pool.map((c) => [fingerprint(c.der), c.der]));
      const ocspResponses = new Map<string, Uint8Array>();
      const crls = new Map<string, Uint8Array>();

      for (const subject of pool) {
        if (isSelfIssued(subject.parsed)) continue; // a trust anchor: its status is not published
        if (hasOcspNoCheck(subject.parsed)) continue; // RFC 6960 §4.2.2.2.1
        const issuer = await issuerOf(subject, pool, exchange);
        output.set(fingerprint(issuer.der), issuer.der);
        const pointers = pointersOf(subject.parsed);
        const failures: string[] = [];
        let sources = 0;

        const [ocspUrl] = pointers.ocspUrls.filter(isHttpUrl);
        if (ocspUrl) {
          try {
            const result = await ocspFor(subject, issuer, ocspUrl);
            ocspResponses.set(fingerprint(result.response), result.response);
            if (result.responderCertificate) {
              output.set(fingerprint(result.responderCertificate), result.responderCertificate);
            }
            sources++;
          } catch (error) {
            if (error instanceof SignetError && error.code === 'CERTIFICATE_REVOKED') throw error;
            failures.push(`OCSP ${ocspUrl}: ${describe(error)}`);
          }
        }
        const [crlUrl] = pointers.crlUrls.filter(isHttpUrl);
        if (crlUrl) {
          try {
            const { der, crl } = await crlFor(issuer, crlUrl);
            assertNotListed(crl, subject);
            crls.set(fingerprint(der), der);
            sources++;
          } catch (error) {
            if (error instanceof SignetError && error.code === 'CERTIFICATE_REVOKED') throw error;
            failures.push(`CRL ${crlUrl}: ${describe(error)}`);
          }
        }
        if (failures.length > 0 || sources === 0) {
          throw new SignetError(
            'REVOCATION_DATA_UNAVAILABLE',
            `no complete revocation data for "${subject.view.subject.replace(/\n/g, ', ')}": ${
              failures.length > 0 ? failures.join('; ') : 'the certificate names no OCSP responder or CRL'
            }`,
          );
        }
      }
      return {
        certificates: [...output.values()],
        ocspResponses: [...ocspResponses.values()],
        crls: [...crls.values()],
      };
    },
  };
}

interface Certified {
  der: Uint8Array;
  parsed: pkijs.Certificate;
  view: X509Certificate;
}

function certified(der: Uint8Array): Certified {
  return { der, parsed: parseCertificate(der), view: new X509Certificate(der) };
}

function dedupe(list: Certified[]): Certified[] {
  const seen = new Set<string>();
  return list.filter((c) => {
    const key = fingerprint(c.der);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const fingerprint = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

const isHttpUrl = (url: string) => url.startsWith('http://') || url.startsWith('https://');

function issuedBy(subject: Certified, issuer: Certified): boolean {
  return subject.view.checkIssued(issuer.view) && subject.view.verify(issuer.view.publicKey);
}

/** The issuer from the given certificates, else fetched from the AIA caIssuers URL (RFC 5280 §4.2.2.1). */
async function issuerOf(
  subject: Certified,
  pool: Certified[],
  exchange: (url: string) => Promise<Uint8Array>,
): Promise<Certified> {
  const known = pool.find((candidate) => candidate !== subject && issuedBy(subject, candidate));
  if (known) return known;
  for (const url of pointersOf(subject.parsed).caIssuersUrls.filter(isHttpUrl)) {
    try {
      const fetched = certified(await exchange(url));
      if (issuedBy(subject, fetched)) return fetched;
    } catch {
      // try the next location
    }
  }
  throw new SignetError(
    'REVOCATION_ISSUER_UNKNOWN',
    `the issuer of "${subject.view.subject.replace(/\n/g, ', ')}" is neither given nor reachable`,
  );
}

/** RFC 6960 §4.1.1 with a SHA-1 CertID (what RFC 5019 responders must support) and a nonce (RFC 8954). */
function ocspRequest(subject: pkijs.Certificate, issuer: pkijs.Certificate, nonce: Uint8Array): Uint8Array {
  const request = new pkijs.OCSPRequest({
    tbsRequest: new pkijs.TBSRequest({
      requestList: [new pkijs.Request({ reqCert: certIdFor(subject, issuer, OCSP_OID.sha1) })],
      requestExtensions: [
        new pkijs.Extension({
          extnID: OCSP_OID.nonce,
          extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(),
        }),
      ],
    }),
  });
  return new Uint8Array(request.toSchema(true).toBER());
}

function certIdFor(subject: pkijs.Certificate, issuer: pkijs.Certificate, hashOid: string): pkijs.CertID {
  const hash = CERT_ID_HASHES[hashOid] ?? 'sha1';
  const digest = (data: Uint8Array) => createHash(hash).update(data).digest();
  return new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: hashOid,
      algorithmParams: new asn1js.Null(),
    }),
    issuerNameHash: new asn1js.OctetString({ valueHex: digest(derOf(issuer.subject)) }),
    issuerKeyHash: new asn1js.OctetString({
      valueHex: digest(issuer.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView),
    }),
    serialNumber: subject.serialNumber,
  });
}

function sameCertId(a: pkijs.CertID, b: pkijs.CertID): boolean {
  return (
    sameBytes(a.issuerNameHash.valueBlock.valueHexView, b.issuerNameHash.valueBlock.valueHexView) &&
    sameBytes(a.issuerKeyHash.valueBlock.valueHexView, b.issuerKeyHash.valueBlock.valueHexView) &&
    a.serialNumber.toBigInt() === b.serialNumber.toBigInt()
  );
}

/**
 * RFC 6960 §3.2: the response is signed by the issuer itself or by a responder certificate the
 * issuer certified for id-kp-OCSPSigning; it names our certificate; it is current; a nonce, if
 * echoed, is ours. Returns the delegated responder's certificate (for the DSS) and nextUpdate.
 */
function checkOcspResponse(
  der: Uint8Array,
  subject: Certified,
  issuer: Certified,
  nonce: Uint8Array,
  now: Date,
): { responderCertificate: Uint8Array | undefined; nextUpdate: Date | undefined } {
  const response = pkijs.OCSPResponse.fromBER(der);
  const status = response.responseStatus.valueBlock.valueDec;
  if (status !== OcspResponseStatus.successful) throw new Error(`responder answered status ${status}`);
  if (!response.responseBytes || response.responseBytes.responseType !== OCSP_OID.basic) {
    throw new Error('not a basic OCSP response');
  }
  const basic = pkijs.BasicOCSPResponse.fromBER(response.responseBytes.response.valueBlock.valueHexView);
  const data = basic.tbsResponseData;

  const signer = responderOf(basic, issuer);
  const digest = SIGNATURE_DIGESTS[basic.signatureAlgorithm.algorithmId];
  if (!digest) throw new Error(`unsupported signature algorithm ${basic.signatureAlgorithm.algorithmId}`);
  const publicKey = createPublicKey({
    key: Buffer.from(derOf(signer.parsed.subjectPublicKeyInfo)),
    format: 'der',
    type: 'spki',
  });
  if (!verifySignature(digest, data.tbsView, publicKey, basic.signature.valueBlock.valueHexView)) {
    throw new Error('the response signature does not verify');
  }

  const echoed = data.responseExtensions?.find((e) => e.extnID === OCSP_OID.nonce);
  if (echoed) {
    const value = asn1js.fromBER(echoed.extnValue.valueBlock.valueHexView).result;
    if (!(value instanceof asn1js.OctetString) || !sameBytes(value.valueBlock.valueHexView, nonce)) {
      throw new Error('the response carries another nonce (replayed?)');
    }
  }

  const single = data.responses.find((r) => {
    const hashOid = r.certID.hashAlgorithm.algorithmId;
    return CERT_ID_HASHES[hashOid] && sameCertId(r.certID, certIdFor(subject.parsed, issuer.parsed, hashOid));
  });
  if (!single) throw new Error('the response does not speak of this certificate');
  if (single.thisUpdate.getTime() > now.getTime() + CLOCK_SKEW_MS)
    throw new Error('the response is from the future');
  if (single.nextUpdate && single.nextUpdate.getTime() < now.getTime() - CLOCK_SKEW_MS) {
    throw new Error('the response is out of date (nextUpdate passed)');
  }
  const certStatus = single.certStatus as asn1js.BaseBlock;
  const tag = certStatus.idBlock.tagNumber;
  if (tag === 1) throw revoked(subject, revocationTimeOf(certStatus));
  if (tag !== 0) throw new Error('the responder does not know the certificate (status unknown)');
  return {
    responderCertificate: signer === issuer ? undefined : signer.der,
    nextUpdate: single.nextUpdate,
  };
}

function responderOf(basic: pkijs.BasicOCSPResponse, issuer: Certified): Certified {
  const id = basic.tbsResponseData.responderID;
  const matches = (candidate: pkijs.Certificate) => {
    if (id instanceof pkijs.RelativeDistinguishedNames) return sameBytes(derOf(id), derOf(candidate.subject));
    const keyHash = createHash('sha1')
      .update(candidate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
      .digest();
    return id instanceof asn1js.OctetString && sameBytes(id.valueBlock.valueHexView, keyHash);
  };
  if (matches(issuer.parsed)) return issuer;
  const delegated = (basic.certs ?? [])
    .map((c) => certified(new Uint8Array(c.toSchema().toBER())))
    .find((c) => matches(c.parsed));
  if (!delegated) throw new Error('the responder certificate is not in the response');
  if (!issuedBy(delegated, issuer))
    throw new Error("the responder certificate was not issued by the certificate's CA");
  if (!extendedKeyUsageOf(delegated.parsed)?.purposes.includes(KeyPurpose.ocspSigning)) {
    throw new Error('the responder certificate is not authorised for OCSP signing');
  }
  return delegated;
}

function revocationTimeOf(certStatus: asn1js.BaseBlock): Date | undefined {
  const first = (certStatus as asn1js.Constructed).valueBlock.value?.[0];
  return first instanceof asn1js.GeneralizedTime ? first.toDate() : undefined;
}

/** RFC 5280 §6.3.3: signed by the issuer, issued by that name, current. */
function checkCrl(der: Uint8Array, issuer: Certified, now: Date): pkijs.CertificateRevocationList {
  const crl = pkijs.CertificateRevocationList.fromBER(der);
  if (!sameBytes(derOf(crl.issuer), derOf(issuer.parsed.subject)))
    throw new Error('the CRL is from another issuer');
  const digest = SIGNATURE_DIGESTS[crl.signatureAlgorithm.algorithmId];
  if (!digest) throw new Error(`unsupported CRL signature algorithm ${crl.signatureAlgorithm.algorithmId}`);
  if (
    !verifySignature(digest, crl.tbsView, issuer.view.publicKey, crl.signatureValue.valueBlock.valueHexView)
  ) {
    throw new Error('the CRL signature does not verify');
  }
  if (crl.thisUpdate.value.getTime() > now.getTime() + CLOCK_SKEW_MS)
    throw new Error('the CRL is from the future');
  if (crl.nextUpdate && crl.nextUpdate.value.getTime() < now.getTime() - CLOCK_SKEW_MS) {
    throw new Error('the CRL is out of date (nextUpdate passed)');
  }
  return crl;
}

function assertNotListed(crl: pkijs.CertificateRevocationList, subject: Certified): void {
  const serial = subject.parsed.serialNumber.toBigInt();
  const entry = crl.revokedCertificates?.find((r) => r.userCertificate.toBigInt() === serial);
  if (entry) throw revoked(subject, entry.revocationDate.value);
}

function revoked(subject: Certified, at: Date | undefined): SignetError {
  return new SignetError(
    'CERTIFICATE_REVOKED',
    `the certificate "${subject.view.subject.replace(/\n/g, ', ')}" (serial ${subject.view.serialNumber}) is revoked${
      at ? ` since ${at.toISOString()}` : ''
    }`,
  );
}

/**
 * The URLs come from the certificates of the seal's own chains — the operator's sealing
 * identity and TSAs — so any address is fine (`operator`); the answer is capped all the same.
 */
async function httpExchange(
  outbound: OutboundClient,
  url: string,
  body: Uint8Array | undefined,
  timeoutMs: number,
): Promise<Uint8Array> {
  const answer = await outbound.request({
    url,
    policy: 'operator',
    method: body ? 'POST' : 'GET',
    ...(body ? { body, headers: { 'content-type': 'application/ocsp-request' } } : {}),
    maxBytes: MAX_BODY_BYTES,
    timeoutMs,
    acceptStatus: (status) => status === 200,
  });
  return pemToDer(answer.body);
}

/** Some CAs publish certificates and CRLs as PEM although RFC 5280 §4.2.2.1 says DER. */
function pemToDer(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  if (!text.startsWith('-----BEGIN')) return bytes;
  const body = Buffer.from(bytes)
    .toString('latin1')
    .replace(/-----[^-]+-----/g, '')
    .replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/** A failure in a few words: the outbound module's ("timed out", "HTTP 404"), or the check's. */
function describe(error: unknown): string {
  const outbound = outboundFailureOf(error);
  if (outbound) return outbound.reason;
  return error instanceof Error ? error.message : String(error);
}
