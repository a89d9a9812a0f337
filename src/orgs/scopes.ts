/*
 * What an API key or a staff user may do (SPEC §F): scopes, and the roles that bundle them.
 *
 * Webhooks have scopes of their own rather than riding on `organization:admin`, so an
 * integration can manage the endpoints it listens on without being able to change identity
 * providers or keys. They are not among the defaults: an endpoint goes on receiving every
 * envelope of the organisation after the key that made it is revoked, so creating one is asked
 * for by name. Keys and roles that administer the organisation hold both (migration 014).
 * `support:read` lets a key or a staff user use the support desk's read-only tools (the SLA
 * preview, issue 12); roles that administer the organisation hold it. Keys made before it
 * existed do not: it is asked for by name.
 */
export const API_KEY_SCOPES = [
  'envelopes:read',
  'envelopes:write',
  'organization:admin',
  'support:read',
  'webhooks:read',
  'webhooks:write',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
export const isApiKeyScope = (value: string): value is ApiKeyScope =>
  (API_KEY_SCOPES as readonly string[]).includes(value);

/** The roles of staff, as migration 001's check constraint spells them. */
export const ROLES = ['owner', 'admin', 'sender', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/**
 * What each role may do, as API scopes: a viewer reads envelopes; a sender also creates, sends,
 * reminds and voids them; an admin also administers the organisation (settings, identity
 * providers, the outbox, webhooks, users and every API key); an owner is an admin who may also
 * make and change owners (src/orgs/accounts.ts). Every route names the scope it needs in
 * `config.scope` (src/http/apiKeyAuth.ts); test/security/roles.test.ts holds each role to it.
 */
export const ROLE_SCOPES: Record<Role, ApiKeyScope[]> = {
  owner: [
    'envelopes:read',
    'envelopes:write',
    'organization:admin',
    'support:read',
    'webhooks:read',
    'webhooks:write',
  ],
  admin: [
    'envelopes:read',
    'envelopes:write',
    'organization:admin',
    'support:read',
    'webhooks:read',
    'webhooks:write',
  ],
  sender: ['envelopes:read', 'envelopes:write'],
  viewer: ['envelopes:read'],
};
