import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createUserWithPassword } from '../../src/orgs/accounts.ts';
import { createOrganization } from '../../src/orgs/organizations.ts';
import { ROLE_SCOPES, ROLES, type Role } from '../../src/orgs/scopes.ts';
import { type ApiResponse, apiClient, envelopeJson } from '../support/apiClient.ts';
import { type BrowserSession, signInBrowser } from '../support/browserSession.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import { databaseKinds, startTestSignet, type TestSignet } from '../support/signetHarness.ts';

/*
 * Roles on every route (issue 11): a viewer reads, a sender also sends, an admin and an owner
 * also administer the organisation. Two tables hold the server to it: the scope every API route
 * needs (a new route without an entry fails here, so who may call it is decided, not inherited),
 * and what each role gets when it calls a representative set of routes from a browser session.
 */

/** Every API route and the scope it needs; null: public (a link, a sign-in step, the validator). */
const ROUTE_SCOPES: Record<string, string | null> = {
  'GET /api/v1/errors': null,
  // Envelopes: reading is everyone's; anything that sends, changes or hands out a signing link is a sender's.
  'POST /api/v1/envelopes': 'envelopes:write',
  'GET /api/v1/envelopes': 'envelopes:read',
  'GET /api/v1/envelopes/:id': 'envelopes:read',
  'POST /api/v1/envelopes/:id/send': 'envelopes:write',
  'POST /api/v1/envelopes/:id/void': 'envelopes:write',
  'POST /api/v1/envelopes/:id/remind': 'envelopes:write',
  'DELETE /api/v1/envelopes/:id': 'envelopes:write',
  'GET /api/v1/envelopes/:id/documents/:documentId': 'envelopes:read',
  'GET /api/v1/envelopes/:id/download': 'envelopes:read',
  'GET /api/v1/envelopes/:id/audit': 'envelopes:read',
  'GET /api/v1/envelopes/:id/certificate': 'envelopes:read',
  'POST /api/v1/envelopes/:id/recipients/:recipientId/signing-url': 'envelopes:write',
  'POST /api/v1/envelopes/:id/recipients/:recipientId/identity/unlock': 'envelopes:write',
  // The organisation: anyone may read the signature policy their envelopes get; changing it,
  // identity providers, the outbox (every link and code), webhooks and users is an admin's.
  'GET /api/v1/organization/signature-policy': 'envelopes:read',
  'PUT /api/v1/organization/signature-policy': 'organization:admin',
  'GET /api/v1/users': 'organization:admin',
  'POST /api/v1/users': 'organization:admin',
  'GET /api/v1/users/:id': 'organization:admin',
  'PATCH /api/v1/users/:id': 'organization:admin',
  'POST /api/v1/users/:id/deactivate': 'organization:admin',
  'POST /api/v1/users/:id/reactivate': 'organization:admin',
  'PUT /api/v1/identity-providers/oidc': 'organization:admin',
  'GET /api/v1/identity-providers/oidc': 'organization:admin',
  'PUT /api/v1/identity-providers/saml': 'organization:admin',
  'GET /api/v1/identity-providers/saml': 'organization:admin',
  'GET /api/v1/outbox/mail': 'organization:admin',
  'GET /api/v1/outbox/sms': 'organization:admin',
  'POST /api/v1/webhooks': 'webhooks:write',
  'GET /api/v1/webhooks': 'webhooks:read',
  'GET /api/v1/webhooks/:id': 'webhooks:read',
  'PATCH /api/v1/webhooks/:id': 'webhooks:write',
  'DELETE /api/v1/webhooks/:id': 'webhooks:write',
  'POST /api/v1/webhooks/:id/rotate-secret': 'webhooks:write',
  'POST /api/v1/webhooks/:id/test': 'webhooks:write',
  'GET /api/v1/webhooks/:id/deliveries': 'webhooks:read',
  'POST /api/v1/webhooks/:id/messages/:messageId/replay': 'webhooks:write',
  // Support: the SLA preview reads nothing stored, but is a support tool (issue 12).
  'POST /api/v1/support/sla-preview': 'support:read',
  // Keys: every signed-in user's own (within their scopes), all of them for an admin (apiKeys.ts).
  'GET /api/v1/api-keys': 'envelopes:read',
  'POST /api/v1/api-keys': 'envelopes:read',
  'DELETE /api/v1/api-keys/:id': 'envelopes:read',
  // One's own account: any signed-in user (every role reads envelopes).
  'GET /api/v1/auth/me': 'envelopes:read',
  'POST /api/v1/auth/sign-out': 'envelopes:read',
  'POST /api/v1/auth/totp': 'envelopes:read',
  'POST /api/v1/auth/totp/confirm': 'envelopes:read',
  'POST /api/v1/auth/passkeys/registration-options': 'envelopes:read',
  'POST /api/v1/auth/passkeys': 'envelopes:read',
  'PUT /api/v1/auth/password': 'envelopes:read',
  // Before a session: sign-in steps, links from mail.
  'POST /api/v1/auth/sign-in': null,
  'POST /api/v1/auth/second-factor': null,
  'POST /api/v1/auth/passkeys/sign-in-options': null,
  'POST /api/v1/auth/passkeys/sign-in': null,
  'POST /api/v1/auth/accept-invite': null,
  'POST /api/v1/auth/password-reset': null,
  'POST /api/v1/auth/password-reset/complete': null,
  'POST /api/v1/auth/sso/exchange': null,
  // A signer's link is their credential.
  'GET /api/v1/signing/:token': null,
  'GET /api/v1/signing/:token/documents/:documentId': null,
  'GET /api/v1/signing/:token/download': null,
  'POST /api/v1/signing/:token/consent': null,
  'PUT /api/v1/signing/:token/fields': null,
  'POST /api/v1/signing/:token/finish': null,
  'POST /api/v1/signing/:token/decline': null,
  'POST /api/v1/signing/:token/identity/access-code': null,
  'POST /api/v1/signing/:token/identity/otp/send': null,
  'POST /api/v1/signing/:token/identity/otp/verify': null,
  'GET /api/v1/signing/:token/identity/oidc/start': null,
  'GET /api/v1/signing/:token/identity/saml/start': null,
  // Anyone may check a signed PDF.
  'POST /api/v1/verify': null,
  // Organisation settings and branding: everyone reads their organisation; admins change it. The brand
  // (name, colour, logo) is public: signers and sign-in pages show it before anyone is signed in.
  'GET /api/v1/envelopes/:id/timeline': 'envelopes:read',
  'GET /api/v1/organization': 'envelopes:read',
  'PATCH /api/v1/organization': 'organization:admin',
  'PUT /api/v1/organization/logo': 'organization:admin',
  'DELETE /api/v1/organization/logo': 'organization:admin',
  'GET /api/v1/branding/:organizationId': null,
  'GET /api/v1/branding': null,
  'GET /api/v1/organization/email-templates': 'organization:admin',
  'PUT /api/v1/organization/embedding-origins': 'organization:admin',
  'PUT /api/v1/organization/email-templates/:kind': 'organization:admin',
  'DELETE /api/v1/organization/email-templates/:kind': 'organization:admin',
  'POST /api/v1/organization/email-templates/:kind/preview': 'organization:admin',
};

type Who = Role | 'nobody';
const ALL: Who[] = ['owner', 'admin', 'sender', 'viewer'];
const SENDERS: Who[] = ['owner', 'admin', 'sender'];
const ADMINS: Who[] = ['owner', 'admin'];

interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The URL; `{draft}` is a draft envelope of the caller's organisation, one per role. */
  url: string;
  body?: unknown;
  allowed: Who[];
}

/** Representative calls and who may make them (the others get 403 API_KEY_SCOPE_MISSING). */
const CALLS: Call[] = [
  { method: 'GET', url: '/api/v1/envelopes', allowed: ALL },
  { method: 'GET', url: '/api/v1/envelopes/{draft}', allowed: ALL },
  { method: 'GET', url: '/api/v1/envelopes/{draft}/audit', allowed: ALL },
  { method: 'POST', url: '/api/v1/envelopes', body: 'an envelope', allowed: SENDERS },
  { method: 'POST', url: '/api/v1/envelopes/{draft}/void', body: { reason: 'roles test' }, allowed: SENDERS },
  { method: 'GET', url: '/api/v1/organization/signature-policy', allowed: ALL },
  {
    method: 'PUT',
    url: '/api/v1/organization/signature-policy',
    body: { padesLevel: 'B-LTA', perSignerSignatures: false },
    allowed: ADMINS,
  },
  { method: 'GET', url: '/api/v1/users', allowed: ADMINS },
  { method: 'POST', url: '/api/v1/users', body: 'an invitation', allowed: ADMINS },
  { method: 'GET', url: '/api/v1/outbox/mail', allowed: ADMINS },
  { method: 'GET', url: '/api/v1/webhooks', allowed: ADMINS },
  { method: 'GET', url: '/api/v1/identity-providers/oidc', allowed: ADMINS },
  { method: 'GET', url: '/api/v1/api-keys', allowed: ALL },
  {
    method: 'POST',
    url: '/api/v1/api-keys',
    body: { name: 'mine', scopes: ['envelopes:read'] },
    allowed: ALL,
  },
  { method: 'GET', url: '/api/v1/auth/me', allowed: ALL },
  { method: 'POST', url: '/api/v1/auth/totp', body: {}, allowed: ALL },
];

describe('the scope of every API route', () => {
  it('is the one this table gives it: a new route is added here with a decision', async () => {
    const signet = await startTestSignet('pglite');
    try {
      const registered = Object.fromEntries(
        signet.app.registeredRoutes
          .filter((route) => !route.hidden && route.url.startsWith('/api/'))
          .map((route) => [`${route.method} ${route.url}`, route.scope]),
      );
      assert.deepEqual(registered, ROUTE_SCOPES);
    } finally {
      await signet.stop();
    }
  });

  it('is one every role either has or lacks as the roles say', () => {
    assert.deepEqual(ROLE_SCOPES.viewer, ['envelopes:read']);
    assert.deepEqual(ROLE_SCOPES.sender, ['envelopes:read', 'envelopes:write']);
    assert.deepEqual(
      ROLE_SCOPES.admin,
      ROLE_SCOPES.owner,
      'owners differ from admins only in the user rules',
    );
    for (const role of ROLES) assert.ok(ROLE_SCOPES[role].includes('envelopes:read'), `${role} reads`);
  });
});

for (const kind of databaseKinds()) {
  describe(`roles from a browser session on ${kind}`, () => {
    let signet: TestSignet;
    const sessions = new Map<Role, BrowserSession>();
    const drafts = new Map<Who, string>();
    let othersEnvelope: string;

    before(async () => {
      signet = await startTestSignet(kind);
      const publicUrl = signet.platform.config.publicUrl;
      const org = await createOrganization(signet.platform.db, {
        name: 'Roles Ltd',
        adminEmail: 'olive@roles.test',
      });
      const key = apiClient(signet.app, org.apiKey);
      const pdf = await makePdf();
      sessions.set('owner', await signInBrowser(signet.app, publicUrl, org.adminEmail, org.adminPassword));
      for (const role of ['admin', 'sender', 'viewer'] as const) {
        const { password } = await createUserWithPassword(signet.platform.db, {
          organizationId: org.organizationId,
          email: `${role}@roles.test`,
          role,
        });
        sessions.set(role, await signInBrowser(signet.app, publicUrl, `${role}@roles.test`, password));
      }
      for (const who of ALL) {
        const draft = await key.post<{ id: string }>('/api/v1/envelopes', envelopeJson(pdf));
        assert.equal(draft.status, 201, JSON.stringify(draft.body));
        drafts.set(who, draft.body.id);
      }
      const other = await createOrganization(signet.platform.db, {
        name: 'Other Ltd',
        adminEmail: 'o@other.test',
      });
      othersEnvelope = (
        await apiClient(signet.app, other.apiKey).post<{ id: string }>('/api/v1/envelopes', envelopeJson(pdf))
      ).body.id;
    });
    after(async () => signet?.stop());

    for (const role of ROLES) {
      it(`gives ${role === 'admin' || role === 'owner' ? 'an' : 'a'} ${role} exactly what the role allows`, async () => {
        const session = sessions.get(role);
        assert.ok(session);
        for (const call of CALLS) {
          const url = call.url.replace('{draft}', drafts.get(role) ?? '');
          const body =
            call.body === 'an envelope'
              ? envelopeJson(await makePdf())
              : call.body === 'an invitation'
                ? { email: `invited-${randomUUID().slice(0, 8)}@roles.test`, role: 'viewer' }
                : call.body;
          const answer: ApiResponse = await session.call(call.method, url, body);
          const what = `${role}: ${call.method} ${call.url} answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
          if (call.allowed.includes(role)) {
            assert.ok(answer.status >= 200 && answer.status < 300, what);
          } else {
            assert.deepEqual([answer.status, answer.body.code], [403, 'API_KEY_SCOPE_MISSING'], what);
          }
        }
      });
    }

    it('refuses every role another organisation’s envelope as not found', async () => {
      for (const role of ROLES) {
        const answer = await sessions.get(role)?.get(`/api/v1/envelopes/${othersEnvelope}`);
        assert.deepEqual([answer?.status, answer?.body.code], [404, 'ENVELOPE_NOT_FOUND'], role);
      }
    });
  });
}
