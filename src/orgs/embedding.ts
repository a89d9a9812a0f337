import type { Sql } from '../db/database.ts';
import { type FieldProblem, pointer, SignetError } from '../errors.ts';

/*
 * Embedded signing (SPEC §B): the origins whose pages may show an organisation's signing
 * ceremony in a frame. The signing page names them in `Content-Security-Policy: frame-ancestors`
 * and the ceremony posts its events only to the one that frames it. None by default: no other
 * site may frame a signer into consenting or signing (clickjacking).
 */

/** Enough for an integrator's production, staging and local pages; a policy header stays small. */
export const MAX_EMBEDDING_ORIGINS = 20;

/**
 * An origin as a browser compares it (RFC 6454): scheme, host and port, nothing else — what
 * `frame-ancestors` and `postMessage`'s target origin both take. A trailing slash is forgiven;
 * a path, query, fragment, user name or wildcard is not, as the origin would then mean
 * something other than what the person typed.
 */
export function parseEmbeddingOrigin(value: string): string | undefined {
  const text = value.trim();
  if (text.includes('*')) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return undefined;
  // `new URL('https://a.test/x/..')` is `/` too; only the origin itself, with or without its slash.
  if (text.replace(/\/$/, '').toLowerCase() !== url.origin.toLowerCase()) return undefined;
  return url.origin;
}

/** Each origin checked and normalised, duplicates dropped; every bad one reported at once. */
export function normalizeEmbeddingOrigins(values: readonly string[]): string[] {
  const problems: FieldProblem[] = [];
  const origins: string[] = [];
  values.forEach((value, index) => {
    const origin = parseEmbeddingOrigin(value);
    if (!origin) {
      problems.push({
        path: pointer('origins', index),
        message: 'not an http(s) origin such as https://app.example.com (no path, query or wildcard)',
      });
    } else if (!origins.includes(origin)) {
      origins.push(origin);
    }
  });
  if (problems.length > 0) {
    throw new SignetError(
      'EMBEDDING_ORIGIN_INVALID',
      'An embedding origin is a scheme, host and optional port, such as https://app.example.com.',
      problems,
    );
  }
  if (origins.length > MAX_EMBEDDING_ORIGINS) {
    throw new SignetError(
      'EMBEDDING_ORIGIN_INVALID',
      `An organisation may allow at most ${MAX_EMBEDDING_ORIGINS} embedding origins.`,
      [{ path: '/origins', message: `${origins.length} origins; at most ${MAX_EMBEDDING_ORIGINS}` }],
    );
  }
  return origins;
}

export async function loadEmbeddingOrigins(sql: Sql, organizationId: string): Promise<string[]> {
  const [row] = await sql.query<{ embedding_origins: string[] }>(
    'select embedding_origins from organizations where id = $1',
    [organizationId],
  );
  if (!row) throw new SignetError('ORGANIZATION_NOT_FOUND', 'No such organization');
  return row.embedding_origins;
}

/** Replaces the organisation's allowed embedding origins; returns them as stored. */
export async function setEmbeddingOrigins(
  sql: Sql,
  organizationId: string,
  values: readonly string[],
): Promise<string[]> {
  const origins = normalizeEmbeddingOrigins(values);
  const [row] = await sql.query<{ embedding_origins: string[] }>(
    'update organizations set embedding_origins = $2 where id = $1 returning embedding_origins',
    [organizationId, origins],
  );
  if (!row) throw new SignetError('ORGANIZATION_NOT_FOUND', 'No such organization');
  return row.embedding_origins;
}
