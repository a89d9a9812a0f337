import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { decodeCursor, isUuid, type PageQuery, pageOf } from './pages.ts';
import { type ApiKeyScope, isApiKeyScope, isRole, ROLE_SCOPES } from './scopes.ts';

/**
 * API keys (SPEC §F): 256 random bits, shown once, stored as SHA-256 (a slow password hash
 * adds nothing for a secret this long), scoped, revocable, with a last-used time.
 */
export { API_KEY_SCOPES, type ApiKeyScope } from './scopes.ts';

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

/**
 * Resolves a presented key to its organisation, or null when unknown or revoked. A key made by
 * a person acts for them: it stops working while they are deactivated, and never does more
 * than their role does now (a demoted admin's keys lose `organization:admin` with them). Keys
 * made by an operator (`signet create-api-key`) have no maker and keep their scopes.
 */
export async function authenticateApiKey(sql: Sql, presented: string): Promise<ApiKeyPrincipal | null> {
  if (!presented.startsWith(KEY_PREFIX) || presented.length > 200) return null;
  const [row] = await sql.query<{
    id: string;
    organization_id: string;
    scopes: string[];
    stale: boolean;
    maker_role: string | null;
    maker_deactivated: boolean | null;
  }>(
    `select k.id, k.organization_id, k.scopes,
            (k.last_used_at is null or k.last_used_at < now() - interval '1 minute') as stale,
            u.role as maker_role, (u.deactivated_at is not null) as maker_deactivated
       from api_keys k left join users u on u.id = k.created_by
      where k.secret_hash = $1 and k.revoked_at is null`,
    [hashApiKey(presented)],
  );
  if (!row || row.maker_deactivated) return null;
  // Recording last use at most once a minute keeps a write off every API call.
  if (row.stale) await sql.query('update api_keys set last_used_at = now() where id = $1', [row.id]);
  const allowed = row.maker_role === null ? null : isRole(row.maker_role) ? ROLE_SCOPES[row.maker_role] : [];
  return {
    keyId: row.id,
    organizationId: row.organization_id,
    scopes: row.scopes.filter(
      (scope): scope is ApiKeyScope => isApiKeyScope(scope) && (allowed === null || allowed.includes(scope)),
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
  /** Who made it; null for a key made by `signet create-api-key` (or whose maker was deleted). */
  createdBy: { id: string; email: string; name: string } | null;
}

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date | string;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
  maker_id: string | null;
  maker_email: string | null;
  maker_name: string | null;
}

const KEY_COLUMNS = `k.id, k.name, k.prefix, k.scopes, k.created_at, k.last_used_at, k.revoked_at,
  u.id as maker_id, u.email as maker_email, u.name as maker_name`;

const summaryOf = (row: KeyRow): ApiKeySummary => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes,
  createdAt: new Date(row.created_at),
  lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
  revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  createdBy:
    row.maker_id === null
      ? null
      : { id: row.maker_id, email: row.maker_email ?? '', name: row.maker_name ?? '' },
});

/** Every key of an organisation, revoked ones too, oldest first (`signet list-api-keys`). */
export async function listApiKeys(sql: Sql, organizationId: string): Promise<ApiKeySummary[]> {
  const rows = await sql.query<KeyRow>(
    `select ${KEY_COLUMNS} from api_keys k left join users u on u.id = k.created_by
      where k.organization_id = $1 order by k.created_at, k.id`,
    [organizationId],
  );
  return rows.map(summaryOf);
}

/*
 * Keys through the API (issue 11). Whoever administers the organisation (`organization:admin`)
 * sees and revokes every key; any other signed-in user sees and revokes the keys they made.
 * Nobody gives a key a scope they lack themselves, so a key is never a way up.
 */

/** Who is managing keys: a principal as src/http/apiKeyAuth.ts resolves it. */
export interface KeyManager {
  organizationId: string;
  scopes: ApiKeyScope[];
  userId: string | null;
  apiKeyId: string | null;
}

/** Whose keys `manager` may see and revoke: all (null) or one maker's. */
function keysOf(manager: KeyManager): { maker: string | null } {
  if (manager.scopes.includes('organization:admin')) return { maker: null };
  if (manager.userId) return { maker: manager.userId };
  throw new SignetError(
    'API_KEY_SCOPE_MISSING',
    'Managing API keys needs the organization:admin scope, or a signed-in user for their own keys',
  );
}

/** The cursor holds milliseconds (a JS Date), so keys are ordered and compared at that precision. */
const CREATED_MS = "date_trunc('milliseconds', k.created_at)";

/** The organisation's active keys (or the manager's own), newest first. */
export async function listActiveApiKeys(sql: Sql, manager: KeyManager, query: PageQuery) {
  const { maker } = keysOf(manager);
  const params: unknown[] = [manager.organizationId];
  let where = 'k.organization_id = $1 and k.revoked_at is null';
  if (maker) {
    params.push(maker);
    where += ` and k.created_by = $${params.length}`;
  }
  if (query.cursor) {
    const after = decodeCursor(query.cursor);
    params.push(after.at, after.id);
    where += ` and (${CREATED_MS}, k.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  params.push(query.limit + 1);
  const rows = await sql.query<KeyRow>(
    `select ${KEY_COLUMNS} from api_keys k left join users u on u.id = k.created_by
      where ${where} order by ${CREATED_MS} desc, k.id desc limit $${params.length}`,
    params,
  );
  return pageOf(rows, query, (row) => row.created_at, summaryOf);
}

/**
 * A new key with `scopes`, none beyond the manager's own. A key made by a key counts as made
 * by that key's maker, so it stops working with theirs.
 */
export async function createApiKeyAs(
  sql: Sql,
  manager: KeyManager,
  input: { name: string; scopes: ApiKeyScope[] },
) {
  keysOf(manager);
  const beyond = input.scopes.filter((scope) => !manager.scopes.includes(scope));
  if (beyond.length > 0) {
    throw new SignetError(
      'SCOPE_NOT_GRANTABLE',
      `A key cannot be given a scope you lack: ${beyond.join(', ')}`,
      beyond.map((scope) => ({
        path: `/scopes/${input.scopes.indexOf(scope)}`,
        message: 'you lack this scope',
      })),
    );
  }
  let maker = manager.userId;
  if (!maker && manager.apiKeyId) {
    const [parent] = await sql.query<{ created_by: string | null }>(
      'select created_by from api_keys where id = $1',
      [manager.apiKeyId],
    );
    maker = parent?.created_by ?? null;
  }
  const created = await createApiKey(sql, {
    organizationId: manager.organizationId,
    name: input.name,
    scopes: [...new Set(input.scopes)],
    ...(maker ? { createdBy: maker } : {}),
  });
  const [row] = await sql.query<KeyRow>(
    `select ${KEY_COLUMNS} from api_keys k left join users u on u.id = k.created_by where k.id = $1`,
    [created.id],
  );
  if (!row) throw new Error('the key just made is missing');
  return { ...summaryOf(row), key: created.key };
}

/** Revokes a key the manager may see; any other id (another organisation's too) is not found. */
export async function revokeApiKeyAs(sql: Sql, manager: KeyManager, keyId: string): Promise<void> {
  const { maker } = keysOf(manager);
  if (!isUuid(keyId)) throw new SignetError('API_KEY_NOT_FOUND', 'No such active API key');
  const rows = await sql.query(
    `update api_keys set revoked_at = now()
      where id = $1 and organization_id = $2 and revoked_at is null and ($3::uuid is null or created_by = $3::uuid)
      returning id`,
    [keyId, manager.organizationId, maker],
  );
  if (rows.length === 0) throw new SignetError('API_KEY_NOT_FOUND', 'No such active API key');
}
