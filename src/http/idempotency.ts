import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SealedSecrets } from '../blobs/sealedSecrets.ts';
import type { Database } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import {
  claimKey,
  type HeldClaim,
  type KeyClaim,
  LEASE_SECONDS,
  releaseClaim,
  renewClaim,
  type StoredAnswer,
  storeAnswer,
} from './idempotencyKeys.ts';
import {
  type BodyDigest,
  jsonBodyDigest,
  MAX_KEY_LENGTH,
  parseIdempotencyKey,
  requestFingerprint,
} from './requestFingerprint.ts';

/*
 * Idempotency-Key on every POST under /api/v1 an authenticated principal makes (IETF draft "The
 * Idempotency-Key HTTP Header Field", with Stripe's choices where the draft leaves them open).
 *
 * - The key is claimed (one insert, its own transaction) before the handler runs, so of
 *   concurrent requests with one key exactly one runs.
 * - A request whose key is held by a running request gets 409 IDEMPOTENCY_KEY_IN_USE with
 *   Retry-After at once (the draft §2.6, and Stripe), rather than waiting for the first to end
 *   and replaying: waiting would hold a connection and poll the database for as long as the first
 *   takes (an upload: minutes), and a client that retried too early only has to retry again.
 * - The same key with another request (method, path, query or body) is 422 IDEMPOTENCY_KEY_REUSED.
 * - Final answers are kept for 24 h and replayed byte for byte with `Idempotent-Replayed: true`:
 *   every 2xx, and every 4xx the request earned (validation included: the same body earns it
 *   again). Not kept, so a retry runs again: 5xx and a crash (the draft leaves this open; Stripe
 *   keeps 500s, but our 500s are faults — a database away, a store failing — that a retry is
 *   meant to get past, and keeping one would make the key useless for the retry it exists
 *   for), and 408/429, which say "try again later". A process that died holds its claim only
 *   until the lease runs out (idempotencyKeys.ts).
 * - Multipart bodies are read by their route as they stream; such a route (config
 *   `claimsIdempotencyKey`) claims the key itself with the parts' digest (`claimIdempotencyKey`),
 *   after reading them and before creating anything.
 *
 * Why hand-written: the maintained library, @node-idempotency/core (with Fastify bindings), ships
 * storage adapters for memory and Redis only, so the part that matters — the atomic claim in our
 * database, PostgreSQL and PGlite alike — would be written here anyway; and it fingerprints the
 * request as a hook sees it, before a streamed multipart body has been read. What is left is
 * two hooks and a digest (requestFingerprint.ts), smaller than an adapter and its glue.
 */

/** Larger answers are not kept: POST answers are small JSON, and a row is not a blob store. */
export const MAX_STORED_BODY_BYTES = 1024 * 1024;

/** What a replay repeats besides status and body; the rest (request id, dates) is this response's own. */
const REPLAYED_HEADERS = ['content-type', 'location'];

export const REPLAYED_HEADER = 'idempotent-replayed';

/** The request header as the OpenAPI document describes it (contract.ts adds it to every scoped POST). */
export const idempotencyKeyHeader = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_KEY_LENGTH,
  description:
    'Optional. Retrying with the same key and the same request within 24 h replays the first answer ' +
    '(`Idempotent-Replayed: true`) instead of doing it again; the same key with another request is ' +
    '422 IDEMPOTENCY_KEY_REUSED, while the first still runs 409 IDEMPOTENCY_KEY_IN_USE.',
} as const;

type IdempotencyState =
  /** The route reads its multipart body and will claim with its digest. */
  | { kind: 'awaiting-claim'; storage: Storage; key: string; principal: string }
  | { kind: 'held'; claim: HeldClaim; renewal: NodeJS.Timeout }
  /** A replay was sent, or the claim settled: nothing more to do. */
  | { kind: 'done' };

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: IdempotencyState | null;
  }
  interface FastifyContextConfig {
    /**
     * The route reads a multipart body itself and calls `claimIdempotencyKey` with the parts'
     * digest before it changes anything; other routes are claimed before their handler runs.
     */
    claimsIdempotencyKey?: boolean;
  }
}

interface Storage {
  db: Database;
  secrets: SealedSecrets;
}

/**
 * Registers the hooks on `app` (the root, so they cover every route): needs the principal set
 * by an earlier `onRequest` hook (registerApiKeyAuth).
 */
export function registerIdempotency(app: FastifyInstance, storage: Storage): void {
  app.decorateRequest('idempotency', null);

  // preValidation: the body is parsed, and nothing — not even schema validation — has answered
  // yet, so a 400 for bad input is kept and replayed like any other final answer. A replay
  // returns `reply`, which resolves once the answer is out: only then does Fastify know to stop.
  app.addHook('preValidation', async (request, reply) => {
    if (request.method !== 'POST' || !request.principal || !request.url.startsWith('/api/v1/')) return;
    const key = parseIdempotencyKey(request.headers['idempotency-key']);
    if (key === undefined) return;
    const principal = request.principal.actor;
    if (isMultipart(request)) {
      if (request.routeOptions.config.claimsIdempotencyKey) {
        request.idempotency = { kind: 'awaiting-claim', storage, key, principal };
        return;
      }
      // A route that does not read multipart cannot answer differently for different parts,
      // so the body does not count; the key still makes the request happen once.
      const outcome = await claim(storage, request, reply, key, principal, 'multipart-unread');
      return outcome === 'replayed' ? reply : undefined;
    }
    const outcome = await claim(storage, request, reply, key, principal, jsonBodyDigest(request.body));
    return outcome === 'replayed' ? reply : undefined;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const state = request.idempotency;
    if (state?.kind === 'awaiting-claim' && reply.statusCode < 400) {
      // A programming error, not the client's: the route said it would claim and did not.
      request.log.error('a route declared claimsIdempotencyKey but answered without claiming the key');
    }
    if (state?.kind !== 'held') return payload;
    request.idempotency = { kind: 'done' };
    clearInterval(state.renewal);
    try {
      await settle(storage, state.claim, reply, payload);
    } catch (error) {
      // The answer goes out all the same; the claim stays in flight until its lease runs out.
      request.log.error({ err: error }, 'the idempotency key could not be settled');
    }
    return payload;
  });
}

/**
 * For a route with `claimsIdempotencyKey`: claims the request's key (if it has one) with the
 * digest of the body the route read. Returns 'replayed' when the reply has been sent as the
 * replay of the first answer — the handler then returns `reply` and does nothing else.
 */
export async function claimIdempotencyKey(
  request: FastifyRequest,
  reply: FastifyReply,
  body: BodyDigest,
): Promise<'proceed' | 'replayed'> {
  const state = request.idempotency;
  if (state?.kind !== 'awaiting-claim') return 'proceed';
  // Not `reply.sent`: that turns true only once the onSend hooks have run, some ticks later.
  return claim(state.storage, request, reply, state.key, state.principal, body);
}

async function claim(
  storage: Storage,
  request: FastifyRequest,
  reply: FastifyReply,
  key: string,
  principal: string,
  body: BodyDigest,
): Promise<'proceed' | 'replayed'> {
  const [path = ''] = request.url.split('?', 1);
  const wanted: KeyClaim = {
    principal,
    key,
    method: request.method,
    path,
    fingerprint: requestFingerprint({ method: request.method, path, query: request.query, body }),
  };
  const outcome = await claimKey(storage.db, storage.secrets, wanted);
  switch (outcome.kind) {
    case 'claimed': {
      const renewal = setInterval(
        () => {
          renewClaim(storage.db, outcome.claim).catch((error: unknown) =>
            request.log.warn({ err: error }, 'an idempotency key lease could not be renewed'),
          );
        },
        (LEASE_SECONDS * 1000) / 3,
      );
      renewal.unref();
      request.idempotency = { kind: 'held', claim: outcome.claim, renewal };
      return 'proceed';
    }
    case 'answered':
      request.idempotency = { kind: 'done' };
      replay(reply, outcome.answer);
      return 'replayed';
    case 'in-flight':
      reply.header('retry-after', '1');
      throw new SignetError(
        'IDEMPOTENCY_KEY_IN_USE',
        'A request with this Idempotency-Key is still being processed; retry once it has been answered',
      );
    case 'other-request':
      throw new SignetError(
        'IDEMPOTENCY_KEY_REUSED',
        `This Idempotency-Key was used within the last 24 hours for a different request (first: ` +
          `${outcome.method} ${outcome.path}); send a new key with a new request`,
      );
    case 'answered-not-stored':
      throw new SignetError(
        'IDEMPOTENCY_ANSWER_NOT_KEPT',
        `This request was already answered (status ${outcome.status}), but the answer was too large ` +
          'to keep for a replay; look the result up instead of retrying',
      );
  }
}

function replay(reply: FastifyReply, answer: StoredAnswer): void {
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
  reply.header(REPLAYED_HEADER, 'true');
  reply.send(answer.body);
}

async function settle(
  storage: Storage,
  claim: HeldClaim,
  reply: FastifyReply,
  payload: unknown,
): Promise<void> {
  const status = reply.statusCode;
  if (!isFinalAnswer(status)) {
    await releaseClaim(storage.db, claim);
    return;
  }
  const body = keepableBody(payload);
  const answer = body === null ? null : { status, headers: replayedHeaders(reply), body };
  await storeAnswer(storage.db, storage.secrets, claim, status, answer);
}

/** A final answer is kept; anything that says "try again" releases the key (see above). */
const isFinalAnswer = (status: number) => status < 500 && status !== 408 && status !== 429;

/**
 * The body as text when it can be kept and replayed byte for byte: serialised JSON (what POST
 * routes answer) or nothing (204). A stream, or anything over the cap, is not kept.
 */
function keepableBody(payload: unknown): string | null {
  if (payload === undefined || payload === null) return '';
  let text: string;
  if (typeof payload === 'string') {
    text = payload;
  } else if (Buffer.isBuffer(payload)) {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(payload);
    } catch {
      return null;
    }
  } else {
    return null;
  }
  return Buffer.byteLength(text) <= MAX_STORED_BODY_BYTES ? text : null;
}

function replayedHeaders(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return headers;
}

function isMultipart(request: FastifyRequest): boolean {
  return String(request.headers['content-type'] ?? '')
    .toLowerCase()
    .startsWith('multipart/');
}
