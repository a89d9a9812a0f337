import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { SignetError } from '../errors.ts';

/*
 * What makes two requests "the same request" for an Idempotency-Key (IETF draft "The
 * Idempotency-Key HTTP Header Field" §2.2: the key is bound to a fingerprint of the request).
 * Pure: the HTTP plugin (idempotency.ts) and the routes that read multipart bodies call these.
 */

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The longest key accepted (as Stripe does); the draft sets no limit. */
export const MAX_KEY_LENGTH = 255;

// Visible ASCII and the space: what an HTTP field value carries safely (RFC 9110 §5.5).
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * The key from the `Idempotency-Key` header, or undefined when there is none. The draft (§2.1)
 * makes the value a Structured Field String (`"…"`, RFC 8941 §3.3.3); Stripe and most clients send
 * the bare key. Both are accepted and name the same key: `"abc"` and `abc` are one key.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw invalidKey('Send one Idempotency-Key header, not several');
  const key = header.startsWith('"') ? structuredFieldString(header) : header;
  if (key.length === 0) throw invalidKey('The Idempotency-Key is empty');
  if (key.length > MAX_KEY_LENGTH) {
    throw invalidKey(`The Idempotency-Key is longer than ${MAX_KEY_LENGTH} characters`);
  }
  if (!PRINTABLE_ASCII.test(key)) {
    throw invalidKey('The Idempotency-Key may hold printable ASCII characters only');
  }
  return key;
}

/** RFC 8941 §4.2.5: a quoted string with `\"` and `\\` as its only escapes, and nothing after it. */
function structuredFieldString(value: string): string {
  let text = '';
  for (let i = 1; i < value.length; i++) {
    const char = value[i]!;
    if (char === '\\') {
      const next = value[i + 1];
      if (next !== '"' && next !== '\\') break;
      text += next;
      i++;
    } else if (char === '"') {
      if (i !== value.length - 1) break;
      return text;
    } else {
      text += char;
    }
  }
  throw invalidKey('The Idempotency-Key is not a well-formed quoted string');
}

const invalidKey = (detail: string) => new SignetError('IDEMPOTENCY_KEY_INVALID', detail);

/** A digest of what a request carried, tagged with how it came, so no two kinds can collide. */
export type BodyDigest = 'none' | `json:${string}` | `multipart:${string}` | 'multipart-unread';

/**
 * A parsed JSON body: SHA-256 over its RFC 8785 canonical form, so key order and whitespace do
 * not make a retry a different request.
 */
export function jsonBodyDigest(body: unknown): BodyDigest {
  if (body === undefined) return 'none';
  return `json:${sha256(canonicalJson(body))}`;
}

function canonicalJson(body: unknown): string {
  try {
    return canonicalize(body) ?? 'null';
  } catch {
    // RFC 8785 refuses a lone surrogate (which JSON text may carry as `\ud800`). Such a body is
    // refused with 400 TEXT_INVALID anyway; it only needs a stable digest, which this is for
    // the same text sent again.
    return JSON.stringify(body);
  }
}

/**
 * A multipart body differs on every attempt (the boundary is random), so its digest is over
 * the parts as read: in order, each one's field name, file name and the SHA-256 of its content.
 * The route feeds it part by part while it streams them (it never holds the raw body).
 */
export class MultipartDigest {
  readonly #parts: { field: string; filename: string | null; sha256: string }[] = [];

  /** A file part's bytes, or a field's value (a typed JSON field may arrive already parsed). */
  add(field: string, filename: string | undefined, content: Buffer | string | unknown): void {
    const bytes = Buffer.isBuffer(content) || typeof content === 'string' ? content : canonicalJson(content);
    this.#parts.push({ field, filename: filename ?? null, sha256: sha256(bytes) });
  }

  digest(): BodyDigest {
    return `multipart:${sha256(canonicalJson(this.#parts))}`;
  }
}

export interface RequestIdentity {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The parsed query string (its order does not matter). */
  query: unknown;
  body: BodyDigest;
}

/** The request's fingerprint: method, path, query and body, as one SHA-256. */
export function requestFingerprint(request: RequestIdentity): string {
  return sha256(
    canonicalJson({
      method: request.method.toUpperCase(),
      path: request.path,
      query: request.query ?? {},
      body: request.body,
    }),
  );
}
