import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from '../db/database.ts';

/**
 * API keys (SPEC §F): 256 random bits, shown once, stored as SHA-256 (a slow password hash
 * adds nothing for a secret this long), scoped, revocable, with a last-used time.
 */
/*
 * Webhooks have scopes of their own rather than riding on `organization:admin`, so an
 * integration can manage the endpoints it listens on without being able to change identity
 * providers or keys. They are not among the defaults: an endpoint goes on receiving every
 * envelope of the organisation after the key that made it is revoked, so creating one is asked
 * for by name. Keys and roles that administer the organisation hold both (migration 012).
 */
export const API_KEY_SCOPES = [
  'envelopes:read',
  'envelopes:write',
  'organization:admin',
  'webhooks:read',
  'webhooks:write',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * What a key may do when its creator names no scopes: send and read envelopes, the work an
 * integration does. Changing the organisation's settings, identity providers or keys needs
 * `organization:admin`, asked for by name.
 */
export const DEFAULT_API_KEY_SCOPES: readonly ApiKeyScope[] = ['envelopes:read', 'envelopes:write'];

const KEY_PREFIX = 'sgk_';

export interface ApiKeyPrincipal {
  keyId: string;
  organizationId: string;
  scopes: ApiKeyScope[];
}

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

export async function createApiKey(
  sql: Sql,
  input: { organizationId: string; name?: string; createdBy?: string; scopes?: ApiKeyScope[] },
): Promise<{ id: string; key: string; prefix: string; scopes: ApiKeyScope[] }> {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const id = randomUUID();
  const prefix = key.slice(0, 12);
  const scopes = input.scopes ?? [...DEFAULT_API_KEY_SCOPES];
  await sql.query(
    `insert into api_keys (id, organization_id, created_by, name, prefix, secret_hash, scopes)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [id, input.organizationId, input.createdBy ?? null, input.name ?? '', prefix, hashApiKey(key), scopes],
  );
  return { id, key, prefix, scopes };
}

/** Resolves a presented key to its organisation, or null when unknown or revoked. */
export async function authenticateApiKey(sql: Sql, presented: string): Promise<ApiKeyPrincipal | null> {
  if (!presented.startsWith(KEY_PREFIX) || presented.length > 200) return null;
  const [row] = await sql.query<{ id: string; organization_id: string; scopes: string[]; stale: boolean }>(
    `select id, organization_id, scopes,
            (last_used_at is null or last_used_at < now() - interval '1 minute') as stale
       from api_keys where secret_hash = $1 and revoked_at is null`,
    [hashApiKey(presented)],
  );
  if (!row) return null;
  // Recording last use at most once a minute keeps a write off every API call.
  if (row.stale) await sql.query('update api_keys set last_used_at = now() where id = $1', [row.id]);
  return {
    keyId: row.id,
    organizationId: row.organization_id,
    scopes: row.scopes.filter((scope): scope is ApiKeyScope =>
      (API_KEY_SCOPES as readonly string[]).includes(scope),
    ),
  };
}

export async function revokeApiKey(sql: Sql, organizationId: string, keyId: string): Promise<boolean> {
  const rows = await sql.query(
    'update api_keys set revoked_at = now() where id = $1 and organization_id = $2 and revoked_at is null returning id',
    [keyId, organizationId],
  );
  return rows.length === 1;
}

export interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export async function listApiKeys(sql: Sql, organizationId: string): Promise<ApiKeySummary[]> {
  const rows = await sql.query<{
    id: string;
    name: string;
    prefix: string;
    scopes: string[];
    created_at: Date;
    last_used_at: Date | null;
    revoked_at: Date | null;
  }>(
    'select id, name, prefix, scopes, created_at, last_used_at, revoked_at from api_keys where organization_id = $1 order by created_at',
    [organizationId],
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  }));
}
