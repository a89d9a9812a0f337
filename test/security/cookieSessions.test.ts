import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import { masterKeyFrom } from '../../src/blobs/blobStore.ts';
import { sealedSecrets } from '../../src/blobs/sealedSecrets.ts';
import { clearedSessionCookies, sessionCookies } from '../../src/http/sessionCookies.ts';
import { createOrganization } from '../../src/orgs/organizations.ts';
import { issueSsoSignInCode } from '../../src/orgs/sso.ts';
import { apiClient } from '../support/apiClient.ts';
import { BrowserSession, signInBrowser } from '../support/browserSession.ts';
import { CookieJar } from '../support/cookieJar.ts';
import { databaseKinds, startTestSignet, type TestSignet } from '../support/signetHarness.ts';

/*
 * Staff sessions in a browser (issue 11): `?session=cookie` keeps the session token in an
 * HttpOnly cookie, and every request it authenticates that changes something must carry the
 * CSRF token bound to that session, from PUBLIC_URL's origin. Bearer tokens work as before.
 */

const secrets = sealedSecrets(masterKeyFrom(randomBytes(32)));

describe('the session cookies', () => {
  const token = `sgs_${randomBytes(32).toString('base64url')}`;
  const inAnHour = new Date(Date.now() + 3600_000).toISOString();

  it('are HttpOnly + SameSite=Lax for the session and readable + SameSite=Strict for the CSRF token, on /', () => {
    const [session, csrf] = sessionCookies({ publicUrl: 'http://localhost:3000', secrets }, token, inAnHour);
    assert.match(session ?? '', /^signet_session=sgs_/);
    assert.match(session ?? '', /; HttpOnly/);
    assert.match(session ?? '', /; SameSite=Lax/);
    assert.match(session ?? '', /; Path=\//);
    assert.match(session ?? '', /; Max-Age=(3599|3600)/);
    assert.doesNotMatch(session ?? '', /Secure/, 'not over plain http (a browser would drop it)');
    assert.match(csrf ?? '', /^signet_csrf=[A-Za-z0-9_-]{43};/);
    assert.doesNotMatch(csrf ?? '', /HttpOnly/, 'the page’s script reads it');
    assert.match(csrf ?? '', /; SameSite=Strict/);
  });

  it('are Secure when PUBLIC_URL is https', () => {
    for (const cookie of sessionCookies(
      { publicUrl: 'https://sign.example.com', secrets },
      token,
      inAnHour,
    )) {
      assert.match(cookie, /; Secure/);
    }
    for (const cookie of clearedSessionCookies({ publicUrl: 'https://sign.example.com', secrets })) {
      assert.match(cookie, /; Max-Age=0/);
      assert.match(cookie, /; Secure/);
    }
  });

  it('bind the CSRF token to the session and to this installation’s key', () => {
    const csrfOf = (publicSecrets: typeof secrets, sessionToken: string) =>
      sessionCookies({ publicUrl: 'http://x', secrets: publicSecrets }, sessionToken, inAnHour)[1];
    assert.equal(csrfOf(secrets, token), csrfOf(secrets, token), 'the same session, the same token');
    assert.notEqual(csrfOf(secrets, token), csrfOf(secrets, `${token}x`), 'another session, another token');
    const elsewhere = sealedSecrets(masterKeyFrom(randomBytes(32)));
    assert.notEqual(csrfOf(secrets, token), csrfOf(elsewhere, token), 'another installation, another token');
    assert.ok(!(csrfOf(secrets, token) ?? '').includes(token.slice(4, 20)), 'the token is not in it');
  });
});

for (const kind of databaseKinds()) {
  describe(`browser sessions on ${kind}`, () => {
    let signet: TestSignet;
    let publicUrl: string;
    let org: Awaited<ReturnType<typeof createOrganization>>;

    before(async () => {
      signet = await startTestSignet(kind);
      publicUrl = signet.platform.config.publicUrl;
      org = await createOrganization(signet.platform.db, {
        name: 'Acme Ltd',
        adminEmail: 'olive@acme.test',
        adminName: 'Olive Owner',
      });
    });
    after(async () => signet?.stop());

    const browser = () => signInBrowser(signet.app, publicUrl, org.adminEmail, org.adminPassword);

    it('sets the two cookies on sign-in with ?session=cookie and leaves the token out of the answer', async () => {
      const jar = new CookieJar();
      const answer = await jar.inject(signet.app, {
        method: 'POST',
        url: '/api/v1/auth/sign-in?session=cookie',
        payload: { email: org.adminEmail, password: org.adminPassword },
      });
      assert.equal(answer.statusCode, 200, answer.body);
      const body = answer.json() as Record<string, unknown>;
      assert.equal(body.status, 'signed-in');
      assert.equal(body.token, undefined, 'no token in the body');
      assert.ok(!answer.body.includes('sgs_'), 'nor anywhere in it');
      const cookies = Object.fromEntries(answer.cookies.map((cookie) => [cookie.name, cookie]));
      assert.match(cookies.signet_session?.value ?? '', /^sgs_/);
      assert.equal(cookies.signet_session?.httpOnly, true);
      assert.equal(cookies.signet_session?.sameSite, 'Lax');
      assert.equal(cookies.signet_session?.path, '/');
      assert.equal(cookies.signet_csrf?.httpOnly, undefined);
      assert.equal(cookies.signet_csrf?.sameSite, 'Strict');
      assert.equal(answer.headers['cache-control'], 'no-store');
    });

    it('answers GET /api/v1/auth/me from the cookie, with the organisation', async () => {
      const session = await browser();
      const me = await session.get<{
        email: string;
        role: string;
        organization: { id: string; name: string };
      }>('/api/v1/auth/me');
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.email, org.adminEmail);
      assert.equal(me.body.role, 'owner');
      assert.deepEqual(me.body.organization, { id: org.organizationId, name: 'Acme Ltd' });
      const nobody = await apiClient(signet.app).get('/api/v1/auth/me');
      assert.deepEqual([nobody.status, nobody.body.code], [401, 'UNAUTHENTICATED']);
    });

    it('refuses a state-changing request with the cookie but without the CSRF header, and changes nothing', async () => {
      const session = await browser();
      const policy = { padesLevel: 'B-T', perSignerSignatures: false };
      const refused = await session.put('/api/v1/organization/signature-policy', policy, { csrf: false });
      assert.deepEqual([refused.status, refused.body.code], [403, 'CSRF_TOKEN_INVALID']);
      const wrong = await session.put('/api/v1/organization/signature-policy', policy, {
        csrf: 'x'.repeat(43),
      });
      assert.deepEqual([wrong.status, wrong.body.code], [403, 'CSRF_TOKEN_INVALID']);
      const unchanged = await session.get<{ padesLevel: string }>('/api/v1/organization/signature-policy');
      assert.equal(unchanged.body.padesLevel, 'B-LTA');

      const accepted = await session.put<{ padesLevel: string }>(
        '/api/v1/organization/signature-policy',
        policy,
      );
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body.padesLevel, 'B-T');
      await session.put('/api/v1/organization/signature-policy', { ...policy, padesLevel: 'B-LTA' });
    });

    it('refuses every state-changing method without the header: POST, PUT, PATCH, DELETE', async () => {
      const session = await browser();
      for (const [method, url] of [
        ['POST', '/api/v1/api-keys'],
        ['PUT', '/api/v1/organization/signature-policy'],
        ['PATCH', `/api/v1/users/${org.adminUserId}`],
        ['DELETE', '/api/v1/api-keys/00000000-0000-4000-8000-000000000000'],
      ] as const) {
        const refused = await session.call(method, url, method === 'DELETE' ? undefined : {}, {
          csrf: false,
        });
        assert.deepEqual(
          [refused.status, refused.body.code],
          [403, 'CSRF_TOKEN_INVALID'],
          `${method} ${url}`,
        );
      }
    });

    it('refuses a cookie-authenticated request from another origin even with the right token', async () => {
      const session = await browser();
      const crossSite = await session.post('/api/v1/auth/totp', {}, { origin: 'https://evil.example' });
      assert.deepEqual([crossSite.status, crossSite.body.code], [403, 'ORIGIN_NOT_ALLOWED']);
      const sameHostOtherPort = await session.post('/api/v1/auth/totp', {}, { origin: 'http://127.0.0.1:1' });
      assert.equal(sameHostOtherPort.status, 403);
      const loopbackOtherPort = await session.post('/api/v1/auth/totp', {}, { origin: 'http://localhost:1' });
      assert.equal(loopbackOtherPort.status, 403, 'another port of this machine is another site');
      const ownPageByAnotherName = await session.post(
        '/api/v1/auth/totp',
        {},
        { origin: new URL(publicUrl).origin.replace('127.0.0.1', 'localhost') },
      );
      assert.equal(ownPageByAnotherName.status, 200, 'localhost and 127.0.0.1 are this server on this port');
      const opaque = await session.post('/api/v1/auth/totp', {}, { origin: 'null' });
      assert.equal(opaque.status, 403, 'a sandboxed page’s opaque origin is another origin');
      const ownPage = await session.post('/api/v1/auth/totp', {}, { origin: new URL(publicUrl).origin });
      assert.equal(ownPage.status, 200, JSON.stringify(ownPage.body));
    });

    it('accepts the organisation’s own custom domain as an origin, and no other organisation’s', async () => {
      const session = await browser();
      const admin = apiClient(signet.app, org.apiKey);
      const domain = `sign-${randomBytes(4).toString('hex')}.acme.test`;
      assert.equal((await admin.patch('/api/v1/organization', { customDomain: domain })).status, 200);
      const onOwnDomain = await session.post(
        '/api/v1/auth/totp',
        {},
        { origin: `https://${domain}`, headers: { host: domain } },
      );
      assert.equal(onOwnDomain.status, 200, JSON.stringify(onOwnDomain.body));
      const other = await createOrganization(signet.platform.db, {
        name: 'Other Ltd',
        adminEmail: `owner-${randomBytes(4).toString('hex')}@other.test`,
        adminName: 'Otto',
      });
      const otherDomain = `sign-${randomBytes(4).toString('hex')}.other.test`;
      const otherAdmin = apiClient(signet.app, other.apiKey);
      assert.equal(
        (await otherAdmin.patch('/api/v1/organization', { customDomain: otherDomain })).status,
        200,
      );
      const onOtherDomain = await session.post(
        '/api/v1/auth/totp',
        {},
        { origin: `https://${otherDomain}`, headers: { host: otherDomain } },
      );
      assert.deepEqual([onOtherDomain.status, onOtherDomain.body.code], [403, 'ORIGIN_NOT_ALLOWED']);
      const spoofed = await session.post('/api/v1/auth/totp', {}, { origin: `https://${domain}` });
      assert.equal(spoofed.status, 403, 'the Origin must be the host the request came to');
    });

    it('takes no CSRF token but its own session’s: a planted cookie or another session’s token is refused', async () => {
      const victim = await browser();
      const attacker = await browser();
      const attackersToken = attacker.jar.value('signet_csrf');
      assert.ok(attackersToken);
      const withOthers = await victim.post('/api/v1/auth/totp', {}, { csrf: attackersToken });
      assert.deepEqual([withOthers.status, withOthers.body.code], [403, 'CSRF_TOKEN_INVALID']);
      // A sibling subdomain can set (not read) cookies for this host: a CSRF cookie it planted, sent
      // back in the header (what double-submit checks would accept), proves nothing.
      const forgedHeader = `${victim.jar.headerFor('/')?.replace(/signet_csrf=[^;]+/, 'signet_csrf=planted')}`;
      const forged = await signet.app.inject({
        method: 'POST',
        url: '/api/v1/auth/totp',
        headers: { cookie: forgedHeader, 'x-csrf-token': 'planted', origin: new URL(publicUrl).origin },
      });
      assert.equal(forged.statusCode, 403);
      assert.equal((forged.json() as { code: string }).code, 'CSRF_TOKEN_INVALID');
    });

    it('answers reads with the cookie and no CSRF header', async () => {
      const session = await browser();
      assert.equal((await session.get('/api/v1/envelopes')).status, 200);
      assert.equal((await session.get('/api/v1/users')).status, 200);
    });

    it('keeps bearer tokens working, and prefers the Authorization header to the cookie', async () => {
      const signedIn = await apiClient(signet.app).post<{ token: string }>('/api/v1/auth/sign-in', {
        email: org.adminEmail,
        password: org.adminPassword,
      });
      assert.match(signedIn.body.token, /^sgs_/, 'without ?session=cookie the token is answered');
      const bearer = apiClient(signet.app, signedIn.body.token);
      assert.equal((await bearer.post('/api/v1/auth/totp')).status, 200, 'no CSRF token for a bearer token');
      const key = apiClient(signet.app, org.apiKey);
      assert.equal(
        (await key.post('/api/v1/api-keys', { name: 'ci', scopes: ['envelopes:read'] })).status,
        201,
      );

      // With both, the header decides: a bad bearer token is not rescued by a good cookie.
      const session = await browser();
      const badBearer = await session.get('/api/v1/auth/me', {
        headers: { authorization: 'Bearer sgs_nope' },
      });
      assert.deepEqual([badBearer.status, badBearer.body.code], [401, 'SESSION_INVALID']);
      const goodBearer = await session.post(
        '/api/v1/auth/totp',
        {},
        {
          csrf: false,
          headers: { authorization: `Bearer ${signedIn.body.token}` },
        },
      );
      assert.equal(goodBearer.status, 200, 'a bearer request needs no CSRF token even with cookies about');
    });

    it('signs out: the session ends and both cookies are cleared', async () => {
      const session = await browser();
      const stolen = session.jar.clone();
      const refused = await session.post('/api/v1/auth/sign-out', {}, { csrf: false });
      assert.equal(refused.status, 403, 'signing out is a change too: no forced sign-out from another site');
      const out = await session.post('/api/v1/auth/sign-out');
      assert.equal(out.status, 204);
      const cleared = new Set(
        out.headers['set-cookie'] === undefined
          ? []
          : [out.headers['set-cookie']].flat().map((cookie) => String(cookie).split('=')[0]),
      );
      assert.deepEqual([...cleared].sort(), ['signet_csrf', 'signet_session']);
      assert.equal(session.jar.value('signet_session'), undefined);
      assert.equal(session.jar.value('signet_csrf'), undefined);
      // A copy of the cookie made before signing out opens nothing, and is told to go.
      const replay = await new BrowserSession(signet.app, stolen, new URL(publicUrl).origin).get(
        '/api/v1/auth/me',
      );
      assert.deepEqual([replay.status, replay.body.code], [401, 'SESSION_INVALID']);
      assert.equal(stolen.value('signet_session'), undefined, 'the dead cookie is cleared');
    });

    it('refuses a cookie sign-in from another site’s page (login CSRF)', async () => {
      const jar = new CookieJar();
      const answer = await jar.inject(signet.app, {
        method: 'POST',
        url: '/api/v1/auth/sign-in?session=cookie',
        payload: { email: org.adminEmail, password: org.adminPassword },
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(answer.statusCode, 403);
      assert.equal((answer.json() as { code: string }).code, 'ORIGIN_NOT_ALLOWED');
      assert.equal(jar.value('signet_session'), undefined);
      const unknownMode = await apiClient(signet.app).post('/api/v1/auth/sign-in?session=jar', {
        email: org.adminEmail,
        password: org.adminPassword,
      });
      assert.equal(unknownMode.status, 400);
    });

    it('sets the cookies when the second factor completes, not before', async () => {
      const other = await createOrganization(signet.platform.db, {
        name: 'Two Step Ltd',
        adminEmail: 'tess@two.test',
      });
      const setUp = apiClient(
        signet.app,
        (
          await apiClient(signet.app).post<{ token: string }>('/api/v1/auth/sign-in', {
            email: other.adminEmail,
            password: other.adminPassword,
          })
        ).body.token,
      );
      const { secret } = (await setUp.post<{ secret: string }>('/api/v1/auth/totp')).body;
      const confirmed = await setUp.post<{ recoveryCodes: string[] }>('/api/v1/auth/totp/confirm', {
        code: await generate({ secret }),
      });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));

      const session = new BrowserSession(signet.app, new CookieJar(), new URL(publicUrl).origin);
      const first = await session.post<{ status: string; challenge: string }>(
        '/api/v1/auth/sign-in?session=cookie',
        {
          email: other.adminEmail,
          password: other.adminPassword,
        },
      );
      assert.equal(first.body.status, 'second-factor-required');
      assert.equal(session.jar.value('signet_session'), undefined, 'no cookie for a half-done sign-in');
      const second = await session.post<{ status: string; token?: string }>(
        '/api/v1/auth/second-factor?session=cookie',
        { challenge: first.body.challenge, recoveryCode: confirmed.body.recoveryCodes[0] },
      );
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal(second.body.token, undefined);
      assert.match(session.jar.value('signet_session') ?? '', /^sgs_/);
      assert.equal((await session.get<{ email: string }>('/api/v1/auth/me')).body.email, other.adminEmail);
    });

    it('sets the cookies when single sign-on’s one-time code is exchanged', async () => {
      const issued = await signet.platform.db.transaction((tx) =>
        issueSsoSignInCode(signet.platform, tx, {
          organizationId: org.organizationId,
          email: org.adminEmail,
          method: 'oidc',
        }),
      );
      assert.ok(issued.passed);
      const code = new URL(issued.redirectTo).hash.replace('#code=', '');
      const session = new BrowserSession(signet.app, new CookieJar(), new URL(publicUrl).origin);
      const exchanged = await session.post<{ status: string; token?: string }>(
        '/api/v1/auth/sso/exchange?session=cookie',
        { code: decodeURIComponent(code) },
      );
      assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
      assert.equal(exchanged.body.token, undefined);
      assert.equal((await session.get<{ role: string }>('/api/v1/auth/me')).body.role, 'owner');
    });
  });
}
