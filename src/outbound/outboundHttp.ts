import { lookup as systemLookup } from 'node:dns/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { SignetError } from '../errors.ts';
import { type AddressRules, isAddressAllowed, type Network, parseNetwork } from './addressPolicy.ts';

/*
 * Every HTTP request Signet makes to another server goes through here: IdP metadata, OIDC
 * discovery, JWKS, token and UserInfo, TSA, OCSP and CRL fetches, the SMS provider, webhooks.
 * The caller names whose URL it is:
 *
 * - `tenant`: a URL an organisation gave (IdP metadata, an OIDC issuer and everything its
 *   discovery names, the URLs inside a PDF sent for verification, a webhook endpoint). Only
 *   public addresses are reachable unless the operator allows more (OUTBOUND_ALLOW_PRIVATE_NETWORKS,
 *   OUTBOUND_ALLOWED_NETWORKS; webhooks have a client of their own, WEBHOOKS_ALLOW_PRIVATE_NETWORKS;
 *   see addressPolicy.ts). The host is resolved once, every answer
 *   checked, and the socket connects to exactly the checked answers — no second resolution
 *   that DNS rebinding could turn — and the connected socket's peer is checked again.
 * - `operator`: a URL from the environment (TSA_URLS, TWILIO_API_URL, the AIA/CRL/OCSP URLs of
 *   the operator's own sealing and TSA chains): any address.
 *
 * Both keep: http and https only, no credentials in URLs, redirects followed by hand (each hop
 * checked like the first, a few at most, credentials dropped when the origin changes), one
 * deadline for the whole exchange, and a size cap enforced while the body streams in. Failures
 * are OutboundErrors with stable codes and generic texts: never the body, the resolved address,
 * a port or a system error message (those stay on `cause`, for the operator's logs).
 */

export type OutboundPolicy = 'tenant' | 'operator';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (tests pass their own). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface OutboundClientOptions {
  /** OUTBOUND_ALLOW_PRIVATE_NETWORKS: tenant URLs may reach the operator's private networks. */
  allowPrivateNetworks?: boolean;
  /** OUTBOUND_ALLOWED_NETWORKS: CIDRs tenant URLs may reach whatever they are. */
  allowedNetworks?: readonly string[];
  /** Link-local stays refused for tenant URLs even with private networks allowed (webhooks). */
  refuseLinkLocal?: boolean;
  /** The system resolver (getaddrinfo, as every program on the machine) unless given. */
  resolve?: Resolver;
}

export interface OutboundRequest {
  url: string | URL;
  policy: OutboundPolicy;
  /** Default GET. */
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** The largest body accepted; a longer one is cut off while it streams in. */
  maxBytes: number;
  /**
   * What a longer body is: `refuse` (default) fails with OUTBOUND_TOO_LARGE; `truncate` keeps
   * its first `maxBytes` as the answer (`truncated: true`) and closes the connection.
   */
  overflow?: 'refuse' | 'truncate';
  /** For the whole exchange, redirects included. */
  timeoutMs: number;
  /** Redirects followed (default 3). With 0 a redirect is an answer like any other. */
  maxRedirects?: number;
  /** Which statuses are answers; any other is OUTBOUND_HTTP_STATUS, its body unread. Default 2xx. */
  acceptStatus?: (status: number) => boolean;
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** The body was longer than `maxBytes` and cut there (`overflow: 'truncate'`). */
  truncated: boolean;
  /** The URL that answered, after redirects. */
  url: string;
}

/** What a fetch-compatible caller (openid-client's customFetch) passes. */
export interface OutboundFetchInit {
  method?: string;
  headers?: Record<string, string> | Headers | [string, string][];
  body?: string | Uint8Array | ArrayBuffer | URLSearchParams | ReadableStream | null;
  signal?: AbortSignal | null;
  redirect?: 'follow' | 'manual' | 'error';
}

export type OutboundFetch = (input: string | URL, init?: OutboundFetchInit) => Promise<Response>;

export interface OutboundFetchDefaults {
  policy: OutboundPolicy;
  maxBytes: number;
  timeoutMs: number;
  maxRedirects?: number;
}

export interface OutboundClient {
  request(request: OutboundRequest): Promise<OutboundResponse>;
  /**
   * Whether `url` could be fetched under `policy`, without connecting: its form, and every
   * address its host resolves to. A request checks again when it connects (DNS may change).
   */
  checkUrl(url: string | URL, policy: OutboundPolicy): Promise<void>;
  /** A `fetch` over `request`: any status is an answer, `redirect: 'manual'` honoured. */
  fetch(defaults: OutboundFetchDefaults): OutboundFetch;
  close(): Promise<void>;
}

export type OutboundErrorCode =
  | 'OUTBOUND_URL_INVALID'
  | 'OUTBOUND_REQUEST_INVALID'
  | 'OUTBOUND_ADDRESS_REFUSED'
  | 'OUTBOUND_REDIRECT_REFUSED'
  | 'OUTBOUND_UNREACHABLE'
  | 'OUTBOUND_TIMEOUT'
  | 'OUTBOUND_TOO_LARGE'
  | 'OUTBOUND_HTTP_STATUS';

const FAILURES: Record<OutboundErrorCode, { reason: string; detail: string }> = {
  OUTBOUND_URL_INVALID: {
    reason: 'URL refused',
    detail: 'The URL cannot be fetched: it must be an absolute http or https URL without credentials.',
  },
  OUTBOUND_REQUEST_INVALID: {
    reason: 'request invalid',
    detail: 'The request could not be sent.',
  },
  OUTBOUND_ADDRESS_REFUSED: {
    reason: 'address refused',
    detail:
      'The URL leads to an address Signet does not connect to (loopback, private, link-local or another internal network).',
  },
  OUTBOUND_REDIRECT_REFUSED: {
    reason: 'redirect refused',
    detail: 'The server redirected too often, or to a URL Signet does not fetch.',
  },
  OUTBOUND_UNREACHABLE: {
    reason: 'unreachable',
    detail: 'The server could not be reached, or its answer was not valid HTTP.',
  },
  OUTBOUND_TIMEOUT: { reason: 'timed out', detail: 'The server did not answer in time.' },
  OUTBOUND_TOO_LARGE: {
    reason: 'answer too large',
    detail: 'The server’s answer is larger than Signet accepts here.',
  },
  OUTBOUND_HTTP_STATUS: { reason: 'HTTP status', detail: 'The server answered with an error.' },
};

/** A failed outbound request: a stable code, a generic detail, and a short `reason` for lists. */
export class OutboundError extends SignetError {
  override readonly code: OutboundErrorCode;
  /** A few words for lists of failures ("timed out", "HTTP 500"). */
  readonly reason: string;
  /** The status the server answered, for OUTBOUND_HTTP_STATUS. */
  readonly httpStatus: number | undefined;

  constructor(code: OutboundErrorCode, options: { httpStatus?: number; cause?: unknown } = {}) {
    const failure = FAILURES[code];
    const withStatus = code === 'OUTBOUND_HTTP_STATUS' && options.httpStatus !== undefined;
    super(code, withStatus ? `The server answered with HTTP status ${options.httpStatus}.` : failure.detail);
    this.name = 'OutboundError';
    this.code = code;
    this.reason = withStatus ? `HTTP ${options.httpStatus}` : failure.reason;
    this.httpStatus = options.httpStatus;
    // Kept off the message: a system error names addresses and ports; logs may show it, tenants never.
    if (options.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause });
  }
}

/** The OutboundError behind `error`, also when a library wrapped it (openid-client does). */
export function outboundFailureOf(error: unknown): OutboundError | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof OutboundError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const DEFAULT_MAX_REDIRECTS = 3;
const MAX_URL_LENGTH = 4096;
const CONNECT_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_HEADER_BYTES = 16 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Set by the HTTP client itself, or meaningless to forward. */
const FORBIDDEN_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'proxy-connection',
]);
/** Dropped when a redirect changes the origin (fetch does the same for authorization). */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function createOutboundClient(options: OutboundClientOptions = {}): OutboundClient {
  const rules: AddressRules = {
    allowPrivateNetworks: options.allowPrivateNetworks ?? false,
    allowedNetworks: (options.allowedNetworks ?? []).map(networkOf),
    refuseLinkLocal: options.refuseLinkLocal ?? false,
  };
  const resolve = options.resolve ?? systemResolver;
  const allowedBy: Record<OutboundPolicy, (address: string) => boolean> = {
    tenant: (address) => isAddressAllowed(address, rules),
    operator: () => true,
  };
  // One pool per policy: a connection checked for the operator is never reused for a tenant.
  const agents: Record<OutboundPolicy, Agent> = {
    tenant: guardedAgent(allowedBy.tenant, resolve),
    operator: guardedAgent(allowedBy.operator, resolve),
  };

  async function request(input: OutboundRequest): Promise<OutboundResponse> {
    const deadline = AbortSignal.timeout(input.timeoutMs);
    const signal = input.signal ? AbortSignal.any([deadline, input.signal]) : deadline;
    const allowed = allowedBy[input.policy];
    const maxRedirects = input.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    const accept = input.acceptStatus ?? isSuccess;
    try {
      let url = fetchableUrl(input.url, 'OUTBOUND_URL_INVALID');
      let method = (input.method ?? 'GET').toUpperCase();
      let body = input.body;
      let headers = requestHeaders(input.headers ?? {});
      for (let redirects = 0; ; redirects++) {
        refuseAddressLiteral(url, allowed);
        const answer = await agents[input.policy].request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method,
          headers,
          body: body ?? null,
          signal,
        });
        const location = REDIRECT_STATUSES.has(answer.statusCode) ? headerOf(answer.headers, 'location') : '';
        if (location && maxRedirects > 0) {
          discard(answer);
          if (redirects >= maxRedirects) throw new OutboundError('OUTBOUND_REDIRECT_REFUSED');
          const next = fetchableUrl(resolveLocation(location, url), 'OUTBOUND_REDIRECT_REFUSED');
          // RFC 9110 §15.4: 303 always, and 301/302 after a POST in practice, continue as GET.
          if (
            answer.statusCode === 303 ||
            ((answer.statusCode === 301 || answer.statusCode === 302) && method === 'POST')
          ) {
            method = method === 'HEAD' ? 'HEAD' : 'GET';
            body = undefined;
            headers = withoutHeaders(headers, ['content-type']);
          }
          if (next.origin !== url.origin) headers = withoutHeaders(headers, CREDENTIAL_HEADERS);
          url = next;
          continue;
        }
        if (!accept(answer.statusCode)) {
          discard(answer);
          throw new OutboundError('OUTBOUND_HTTP_STATUS', { httpStatus: answer.statusCode });
        }
        const { bytes, truncated } = await readCapped(answer, input.maxBytes, input.overflow ?? 'refuse');
        return {
          status: answer.statusCode,
          headers: responseHeaders(answer.headers),
          body: bytes,
          truncated,
          url: url.href,
        };
      }
    } catch (error) {
      throw asOutboundError(error, signal);
    }
  }

  function fetchOver(defaults: OutboundFetchDefaults): OutboundFetch {
    return async (input, init = {}) => {
      const method = (init.method ?? 'GET').toUpperCase();
      const headers = init.headers instanceof Headers ? Object.fromEntries(init.headers) : init.headers;
      const prepared = fetchBody(init.body, {
        ...(Array.isArray(headers) ? Object.fromEntries(headers) : headers),
      });
      const answer = await request({
        url: input,
        policy: defaults.policy,
        method,
        headers: prepared.headers,
        ...(prepared.body === undefined ? {} : { body: prepared.body }),
        maxBytes: defaults.maxBytes,
        timeoutMs: defaults.timeoutMs,
        maxRedirects: init.redirect === 'follow' || init.redirect === undefined ? defaults.maxRedirects : 0,
        acceptStatus: init.redirect === 'error' ? (status) => !REDIRECT_STATUSES.has(status) : () => true,
        ...(init.signal ? { signal: init.signal } : {}),
      }).catch((error: unknown) => {
        // Only redirect: 'error' refuses a status, and only a redirect one.
        if (error instanceof OutboundError && error.code === 'OUTBOUND_HTTP_STATUS') {
          throw new OutboundError('OUTBOUND_REDIRECT_REFUSED');
        }
        throw error;
      });
      const bodyless = method === 'HEAD' || [204, 205, 304].includes(answer.status);
      return new Response(bodyless ? null : answer.body, { status: answer.status, headers: answer.headers });
    };
  }

  async function checkUrl(value: string | URL, policy: OutboundPolicy): Promise<void> {
    const allowed = allowedBy[policy];
    try {
      const url = fetchableUrl(value, 'OUTBOUND_URL_INVALID');
      refuseAddressLiteral(url, allowed);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) !== 0) return;
      const answers = await resolve(host);
      if (answers.length === 0) throw new OutboundError('OUTBOUND_UNREACHABLE');
      if (!answers.every((answer) => allowed(answer.address))) {
        throw new OutboundError('OUTBOUND_ADDRESS_REFUSED');
      }
    } catch (error) {
      if (error instanceof OutboundError) throw error;
      throw new OutboundError('OUTBOUND_UNREACHABLE', { cause: error });
    }
  }

  return {
    request,
    checkUrl,
    fetch: fetchOver,
    async close() {
      await Promise.all([agents.tenant.close(), agents.operator.close()]);
    },
  };
}

let shared: OutboundClient | undefined;

/**
 * A client with the strict defaults (tenant URLs reach public addresses only), for code that
 * runs without the platform — tests, `signet verify` — and for operator destinations, which
 * the network settings do not concern. The server passes Platform.outbound instead.
 */
export function defaultOutboundClient(): OutboundClient {
  shared ??= createOutboundClient();
  return shared;
}

/**
 * Throws unless the socket's peer is an address `allowed` accepts: the last word on where a
 * connection went, whatever the resolver said before.
 */
export function checkConnectedPeer(socket: Socket, allowed: (address: string) => boolean): void {
  const peer = socket.remoteAddress;
  if (peer === undefined || !allowed(peer)) throw new OutboundError('OUTBOUND_ADDRESS_REFUSED');
}

function networkOf(text: string): Network {
  const network = parseNetwork(text);
  if (!network) throw new Error(`not a network: ${text}`);
  return network;
}

async function systemResolver(hostname: string): Promise<ResolvedAddress[]> {
  const answers = await systemLookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => ({ address: answer.address, family: answer.family === 6 ? 6 : 4 }));
}

/** An undici Agent whose sockets only ever connect to addresses `allowed` accepts. */
function guardedAgent(allowed: (address: string) => boolean, resolve: Resolver): Agent {
  const connect = buildConnector({ timeout: CONNECT_TIMEOUT_MS, lookup: checkedLookup(allowed, resolve) });
  return new Agent({
    maxHeaderSize: MAX_RESPONSE_HEADER_BYTES,
    keepAliveTimeout: 4_000,
    connect(options, callback) {
      // An address literal is never looked up, so it is checked here.
      const host = options.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) !== 0 && !allowed(host)) {
        callback(new OutboundError('OUTBOUND_ADDRESS_REFUSED'), null);
        return;
      }
      connect(options, (error, socket) => {
        if (error || !socket) {
          callback(error ?? new OutboundError('OUTBOUND_UNREACHABLE'), null);
          return;
        }
        try {
          checkConnectedPeer(socket, allowed);
        } catch (refused) {
          socket.destroy();
          callback(refused as OutboundError, null);
          return;
        }
        callback(null, socket);
      });
    },
  });
}

/**
 * The `lookup` the socket connects with: every answer must be allowed (a name that resolves to
 * one public and one internal address is refused), and the socket gets exactly those answers.
 */
function checkedLookup(allowed: (address: string) => boolean, resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (answers) => {
        if (!answers.every((answer) => allowed(answer.address))) {
          return callback(new OutboundError('OUTBOUND_ADDRESS_REFUSED') as NodeJS.ErrnoException, '');
        }
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable = answers.filter((answer) => !family || answer.family === family);
        const first = usable[0];
        if (!first) return callback(new OutboundError('OUTBOUND_UNREACHABLE') as NodeJS.ErrnoException, '');
        if (options.all) return callback(null, usable);
        return callback(null, first.address, first.family);
      },
      (error: unknown) =>
        callback(new OutboundError('OUTBOUND_UNREACHABLE', { cause: error }) as NodeJS.ErrnoException, ''),
    );
  };
}

function fetchableUrl(value: string | URL, code: OutboundErrorCode): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OutboundError(code);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundError(code);
  if (url.username !== '' || url.password !== '') throw new OutboundError(code);
  if (url.href.length > MAX_URL_LENGTH || url.hostname === '') throw new OutboundError(code);
  return url;
}

function resolveLocation(location: string, base: URL): string {
  try {
    return new URL(location, base).href;
  } catch {
    throw new OutboundError('OUTBOUND_REDIRECT_REFUSED');
  }
}

function refuseAddressLiteral(url: URL, allowed: (address: string) => boolean): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 && !allowed(host)) throw new OutboundError('OUTBOUND_ADDRESS_REFUSED');
}

function requestHeaders(given: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    const key = name.toLowerCase();
    if (!HEADER_NAME.test(key) || !HEADER_VALUE.test(value) || FORBIDDEN_HEADERS.has(key)) {
      throw new OutboundError('OUTBOUND_REQUEST_INVALID');
    }
    headers[key] = value;
  }
  headers['user-agent'] ??= 'Signet';
  return headers;
}

function withoutHeaders(headers: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name)));
}

function fetchBody(
  body: OutboundFetchInit['body'],
  headers: Record<string, string>,
): { body: string | Uint8Array | undefined; headers: Record<string, string> } {
  if (body === undefined || body === null) return { body: undefined, headers };
  if (typeof body === 'string' || body instanceof Uint8Array) return { body, headers };
  if (body instanceof ArrayBuffer) return { body: new Uint8Array(body), headers };
  if (body instanceof URLSearchParams) {
    const hasType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    return {
      body: body.toString(),
      headers: hasType
        ? headers
        : { ...headers, 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    };
  }
  // Nothing Signet sends is streamed; a stream would escape the caps on what is sent.
  throw new OutboundError('OUTBOUND_REQUEST_INVALID');
}

function headerOf(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

function responseHeaders(headers: IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      result.append(name, item);
    }
  }
  return result;
}

/**
 * The body, up to `maxBytes`: a longer one is cut off while it streams (and its socket closed),
 * then refused, or kept up to the cap when `overflow` is `truncate`.
 */
async function readCapped(
  answer: Dispatcher.ResponseData,
  maxBytes: number,
  overflow: 'refuse' | 'truncate',
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const declared = Number(headerOf(answer.headers, 'content-length') || 0);
  if (declared > maxBytes && overflow === 'refuse') {
    discard(answer);
    throw new OutboundError('OUTBOUND_TOO_LARGE');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of answer.body) {
    const bytes = chunk as Buffer;
    if (size + bytes.length > maxBytes) {
      discard(answer);
      if (overflow === 'refuse') throw new OutboundError('OUTBOUND_TOO_LARGE');
      chunks.push(bytes.subarray(0, maxBytes - size));
      return { bytes: new Uint8Array(Buffer.concat(chunks, maxBytes)), truncated: true };
    }
    size += bytes.length;
    chunks.push(bytes);
  }
  return { bytes: new Uint8Array(Buffer.concat(chunks, size)), truncated: false };
}

/** Drops an answer's body unread (its socket is closed, not reused). */
function discard(answer: Dispatcher.ResponseData): void {
  // Destroying an undici body makes it emit an abort error; nobody is reading it.
  answer.body.on('error', () => undefined);
  answer.body.destroy();
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Every failure as a fresh OutboundError: the code decides the text, nothing else does. */
function asOutboundError(error: unknown, signal: AbortSignal): OutboundError {
  if (error instanceof OutboundError) {
    return new OutboundError(error.code, { httpStatus: error.httpStatus, cause: error.cause });
  }
  if (signal.aborted) return new OutboundError('OUTBOUND_TIMEOUT', { cause: error });
  const code = (error as { code?: unknown } | undefined)?.code;
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new OutboundError('OUTBOUND_TIMEOUT', { cause: error });
    case 'UND_ERR_HEADERS_OVERFLOW':
    case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
      return new OutboundError('OUTBOUND_TOO_LARGE', { cause: error });
    case 'UND_ERR_INVALID_ARG':
      return new OutboundError('OUTBOUND_REQUEST_INVALID', { cause: error });
    default:
      return new OutboundError('OUTBOUND_UNREACHABLE', { cause: error });
  }
}
