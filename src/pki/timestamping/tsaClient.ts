import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SignetError } from '../../errors.ts';
import {
  defaultOutboundClient,
  type OutboundClient,
  outboundFailureOf,
} from '../../outbound/outboundHttp.ts';
import { sha256AlgorithmIdentifier } from '../algorithms.ts';
import type { TimeStampAuthority } from './devTsa.ts';
import { TimeStampRejected, verifyTimeStampResponse } from './tsp.ts';

/*
 * Gets RFC 3161 time-stamp tokens: from the configured TSAs in order (TSA_URLS), each tried
 * `attemptsPerUrl` times with a per-request timeout, or — when none is configured — from the
 * built-in TSA in-process. Every reply is verified before it is accepted (tsp.ts); when no TSA
 * gives a good token the caller gets TSA_UNAVAILABLE with each URL's failure. Never a made-up
 * time.
 */

export interface TimeStamp {
  /** DER ContentInfo: the TimeStampToken, as the TSA signed it. */
  token: Uint8Array;
  /** The TSA's URL, or `local:` for the built-in TSA. */
  tsaUrl: string;
  genTime: Date;
}

export interface TsaClient {
  /** Time-stamps a SHA-256 imprint (32 octets). */
  timestamp(imprintSha256: Uint8Array): Promise<TimeStamp>;
}

export interface TsaClientOptions {
  urls: string[];
  timeoutMs: number;
  attemptsPerUrl: number;
  /** Used (in-process, no HTTP) only when `urls` is empty. */
  localTsa?: TimeStampAuthority;
  /** How the TSAs are asked (the platform's; by default the module's own). */
  outbound?: OutboundClient;
}

/** The name the built-in TSA goes by in `tsaUrl` and in failure reports. */
export const LOCAL_TSA_URL = 'local:';
/** A reply larger than this is not a time-stamp (a token with a chain is a few KB). */
const MAX_REPLY_BYTES = 256 * 1024;

export function createTsaClient(options: TsaClientOptions): TsaClient {
  if (options.urls.length === 0 && !options.localTsa) {
    throw new SignetError('TSA_NOT_CONFIGURED', 'no TSA URL configured and no built-in TSA given');
  }
  const attempts = Math.max(1, Math.floor(options.attemptsPerUrl));
  const outbound = options.outbound ?? defaultOutboundClient();
  const sources: { url: string; exchange: (query: Uint8Array) => Promise<Uint8Array> }[] =
    options.urls.length > 0
      ? options.urls.map((url) => ({
          url,
          exchange: (query) => postQuery(outbound, url, query, options.timeoutMs),
        }))
      : [
          {
            url: LOCAL_TSA_URL,
            exchange: (query) => (options.localTsa as TimeStampAuthority).respond(query),
          },
        ];

  return {
    async timestamp(imprint) {
      if (imprint.length !== 32) {
        throw new SignetError(
          'TSA_IMPRINT_INVALID',
          `expected a SHA-256 imprint, got ${imprint.length} bytes`,
        );
      }
      const failures: string[] = [];
      for (const source of sources) {
        for (let attempt = 1; attempt <= attempts; attempt++) {
          // A fresh nonce per attempt: a late reply to an earlier attempt is never taken for this one.
          const nonce = randomNonce();
          try {
            const reply = await source.exchange(timeStampQuery(imprint, nonce));
            const verified = verifyTimeStampResponse(reply, { imprint, nonce });
            return { token: verified.token, tsaUrl: source.url, genTime: verified.genTime };
          } catch (error) {
            failures.push(`${source.url} (attempt ${attempt}): ${describe(error)}`);
            // A TSA that answered but refused or sent a bad token will do so again; try the next one.
            if (error instanceof TimeStampRejected) break;
          }
        }
      }
      throw new SignetError('TSA_UNAVAILABLE', `no time-stamp could be obtained: ${failures.join('; ')}`);
    },
  };
}

/** RFC 3161 §2.4.1: version 1, SHA-256 imprint, a 64-bit nonce, certReq TRUE (we verify with the embedded certificate). */
export function timeStampQuery(imprint: Uint8Array, nonce: bigint): Uint8Array {
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: sha256AlgorithmIdentifier(),
      hashedMessage: new asn1js.OctetString({ valueHex: imprint }),
    }),
    nonce: new asn1js.Integer({ valueHex: Buffer.from(nonce.toString(16).padStart(16, '0'), 'hex') }),
    certReq: true,
  });
  return new Uint8Array(request.toSchema().toBER());
}

/** Positive, 63 bits, never with a leading zero octet (minimal INTEGER encoding). */
function randomNonce(): bigint {
  const bytes = randomBytes(8);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return BigInt(`0x${bytes.toString('hex')}`);
}

/**
 * RFC 3161 §3.4: POST application/timestamp-query, answer application/timestamp-reply. TSA_URLS
 * are the operator's, so any address is fine; the reply is capped all the same, and a redirect
 * is a failure, as a TSA has no reason to send one.
 */
async function postQuery(
  outbound: OutboundClient,
  url: string,
  query: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array> {
  const answer = await outbound.request({
    url,
    policy: 'operator',
    method: 'POST',
    headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
    body: query,
    maxBytes: MAX_REPLY_BYTES,
    timeoutMs,
    maxRedirects: 0,
    acceptStatus: (status) => status === 200,
  });
  const type = answer.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/timestamp-reply')) {
    throw new Error('the reply is not application/timestamp-reply');
  }
  return answer.body;
}

/** A failure in a few words: the outbound module's ("timed out", "HTTP 500"), or the check's. */
function describe(error: unknown): string {
  const outbound = outboundFailureOf(error);
  if (outbound) return outbound.reason;
  return error instanceof Error ? error.message : String(error);
}
