import { randomUUID } from 'node:crypto';
import type { SealedSecrets } from '../blobs/sealedSecrets.ts';
import type { Sql } from '../db/database.ts';
import { type ErrorCode, SignetError } from '../errors.ts';
import { isUuid } from '../orgs/organizations.ts';
import { type OutboundClient, outboundFailureOf } from '../outbound/outboundHttp.ts';
import type { Platform } from '../platform.ts';
import type { EnvelopeEventType } from './events.ts';
import type { CreateWebhookInput, UpdateWebhookInput, WebhookView } from './schema.ts';
import { generateSecret } from './signing.ts';

/*
 * An organisation's webhook endpoints: create, read, change, delete, rotate the secret.
 * Tenancy is enforced where rows are loaded: another organisation's endpoint is a 404, like a
 * missing one. Secrets are sealed under the master key and shown once, when made.
 */

/** How long the secret a rotation replaces goes on signing beside the new one. */
export const PREVIOUS_SECRET_HOURS = 24;

/** Each message is sent once per endpoint: a cap keeps one event from fanning out without end. */
export const MAX_ENDPOINTS_PER_ORGANIZATION = 20;

export interface EndpointRow {
  id: string;
  organization_id: string;
  url: string;
  description: string;
  events: EnvelopeEventType[] | null;
  enabled: boolean;
  disabled_at: Date | null;
  disabled_reason: 'failing' | 'api' | null;
  sealed_secret: string;
  sealed_previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

export function endpointView(row: EndpointRow): WebhookView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    enabled: row.enabled,
    disabledAt: iso(row.disabled_at),
    disabledReason: row.disabled_reason,
    failingSince: iso(row.failing_since),
    previousSecretExpiresAt:
      row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > new Date()
        ? iso(row.previous_secret_expires_at)
        : null,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export const webhookNotFound = () => new SignetError('WEBHOOK_NOT_FOUND', 'No such webhook');

/** Loads an endpoint of this organisation; another organisation's id is indistinguishable from none. */
export async function loadEndpoint(
  sql: Sql,
  organizationId: string,
  endpointId: string,
  options: { lock?: boolean } = {},
): Promise<EndpointRow> {
  if (!isUuid(endpointId)) throw webhookNotFound();
  const [row] = await sql.query<EndpointRow>(
    `select * from webhook_endpoints where id = $1 and organization_id = $2${options.lock ? ' for update' : ''}`,
    [endpointId, organizationId],
  );
  if (!row) throw webhookNotFound();
  return row;
}

/**
 * The secrets an attempt is signed with, newest first: the current one, and the one a rotation
 * replaced while it is still valid.
 */
export function signingSecrets(secrets: SealedSecrets, row: EndpointRow, now = new Date()): string[] {
  const current = secrets.open(row.sealed_secret);
  const previousValid =
    row.sealed_previous_secret !== null &&
    row.previous_secret_expires_at !== null &&
    new Date(row.previous_secret_expires_at) > now;
  return previousValid && row.sealed_previous_secret
    ? [current, secrets.open(row.sealed_previous_secret)]
    : [current];
}

/**
 * Where an endpoint URL leads must be a place webhooks may go (the SSRF rules, src/outbound/):
 * checked here, when it is set, for a clear answer, and again by every delivery as it connects.
 */
export async function assertDeliverableUrl(outbound: OutboundClient, url: string): Promise<void> {
  try {
    await outbound.checkUrl(url, 'tenant');
  } catch (error) {
    const failure = outboundFailureOf(error);
    if (!failure) throw error;
    const [code, message]: [ErrorCode, string] =
      failure.code === 'OUTBOUND_ADDRESS_REFUSED'
        ? [
            'WEBHOOK_URL_REFUSED',
            'leads to an address webhooks are not sent to (loopback, private, link-local, metadata or another internal network)',
          ]
        : failure.code === 'OUTBOUND_URL_INVALID'
          ? [
              'WEBHOOK_URL_INVALID',
              'must be an absolute http:// or https:// URL without user name or password',
            ]
          : ['WEBHOOK_URL_UNRESOLVABLE', 'its host name does not resolve'];
    throw new SignetError(code, `The webhook URL ${message}.`, [{ path: '/url', message }]);
  }
}

export async function createEndpoint(
  platform: Pick<Platform, 'db' | 'secrets' | 'webhookOutbound'>,
  organizationId: string,
  input: CreateWebhookInput,
): Promise<WebhookView & { secret: string }> {
  await assertDeliverableUrl(platform.webhookOutbound, input.url);
  const secret = generateSecret();
  const id = randomUUID();
  const row = await platform.db.transaction(async (tx) => {
    // Serialises creations in one organisation, so the cap holds under concurrent requests.
    await tx.query('select id from organizations where id = $1 for update', [organizationId]);
    const [count] = await tx.query<{ n: number }>(
      'select count(*)::int as n from webhook_endpoints where organization_id = $1',
      [organizationId],
    );
    if ((count?.n ?? 0) >= MAX_ENDPOINTS_PER_ORGANIZATION) {
      throw new SignetError(
        'WEBHOOK_LIMIT_REACHED',
        `An organisation has at most ${MAX_ENDPOINTS_PER_ORGANIZATION} webhooks; delete one first.`,
      );
    }
    const [inserted] = await tx.query<EndpointRow>(
      `insert into webhook_endpoints (id, organization_id, url, description, events, sealed_secret)
       values ($1, $2, $3, $4, $5, $6) returning *`,
      [id, organizationId, input.url, input.description, input.events ?? null, platform.secrets.seal(secret)],
    );
    return inserted!;
  });
  return { ...endpointView(row), secret };
}

export async function listEndpoints(sql: Sql, organizationId: string): Promise<WebhookView[]> {
  const rows = await sql.query<EndpointRow>(
    'select * from webhook_endpoints where organization_id = $1 order by created_at, id',
    [organizationId],
  );
  return rows.map(endpointView);
}

export async function getEndpoint(
  sql: Sql,
  organizationId: string,
  endpointId: string,
): Promise<WebhookView> {
  return endpointView(await loadEndpoint(sql, organizationId, endpointId));
}

export async function updateEndpoint(
  platform: Pick<Platform, 'db' | 'webhookOutbound'>,
  organizationId: string,
  endpointId: string,
  input: UpdateWebhookInput,
): Promise<WebhookView> {
  await loadEndpoint(platform.db, organizationId, endpointId);
  if (input.url !== undefined) await assertDeliverableUrl(platform.webhookOutbound, input.url);
  return platform.db.transaction(async (tx) => {
    const current = await loadEndpoint(tx, organizationId, endpointId, { lock: true });
    const enabled = input.enabled ?? current.enabled;
    const reEnabled = enabled && !current.enabled;
    const disabled = !enabled && current.enabled;
    const [row] = await tx.query<EndpointRow>(
      `update webhook_endpoints
          set url = $2, events = $3, description = $4, enabled = $5,
              disabled_at = case when $6 then now() when $5 then null else disabled_at end,
              disabled_reason = case when $6 then 'api' when $5 then null else disabled_reason end,
              -- A re-enabled endpoint starts a fresh count of failing days.
              failing_since = case when $7 then null else failing_since end,
              updated_at = now()
        where id = $1 returning *`,
      [
        endpointId,
        input.url ?? current.url,
        input.events === undefined ? current.events : input.events,
        input.description ?? current.description,
        enabled,
        disabled,
        reEnabled,
      ],
    );
    return endpointView(row!);
  });
}

export async function deleteEndpoint(sql: Sql, organizationId: string, endpointId: string): Promise<void> {
  if (!isUuid(endpointId)) throw webhookNotFound();
  // Its deliveries and their attempts go with it; the messages stay for the other endpoints.
  const rows = await sql.query(
    'delete from webhook_endpoints where id = $1 and organization_id = $2 returning id',
    [endpointId, organizationId],
  );
  if (rows.length === 0) throw webhookNotFound();
}

/**
 * A new secret; the old one signs beside it for 24 hours (Standard Webhooks allows several
 * signatures in one header), so receivers can switch without losing a message. A secret
 * replaced earlier is dropped: at most two sign at once.
 */
export async function rotateSecret(
  platform: Pick<Platform, 'db' | 'secrets'>,
  organizationId: string,
  endpointId: string,
): Promise<{ secret: string; previousSecretExpiresAt: string }> {
  const secret = generateSecret();
  return platform.db.transaction(async (tx) => {
    await loadEndpoint(tx, organizationId, endpointId, { lock: true });
    const [row] = await tx.query<{ previous_secret_expires_at: Date }>(
      `update webhook_endpoints
          set sealed_previous_secret = sealed_secret, sealed_secret = $2,
              previous_secret_expires_at = now() + make_interval(hours => $3), updated_at = now()
        where id = $1 returning previous_secret_expires_at`,
      [endpointId, platform.secrets.seal(secret), PREVIOUS_SECRET_HOURS],
    );
    return { secret, previousSecretExpiresAt: new Date(row!.previous_secret_expires_at).toISOString() };
  });
}
