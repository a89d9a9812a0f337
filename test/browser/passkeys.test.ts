import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createOrganization } from '../../src/orgs/organizations.ts';
import { hasTool } from '../peers/pdfValidators.ts';
import { apiClient } from '../support/apiClient.ts';
import { CookieJar } from '../support/cookieJar.ts';
import { startTestSignet, type TestSignet } from '../support/signetHarness.ts';

/*
 * Passkeys for staff in a real browser: Debian's Chromium with a virtual WebAuthn authenticator
 * (Chrome DevTools Protocol, CTAP2, user verification on) registers a passkey against Signet's
 * options and then signs in with it; every check of the response is @simplewebauthn/server's.
 */

const CHROMIUM = '/usr/bin/chromium';

/** In the page: options JSON → navigator.credentials → the response as JSON (base64url). */
const CREATE = `async (options) => {
  const bytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
  const text = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const publicKey = { ...options, challenge: bytes(options.challenge), user: { ...options.user, id: bytes(options.user.id) },
    excludeCredentials: (options.excludeCredentials || []).map((c) => ({ ...c, id: bytes(c.id) })) };
  const credential = await navigator.credentials.create({ publicKey });
  return { id: credential.id, rawId: text(credential.rawId), type: credential.type,
    response: { clientDataJSON: text(credential.response.clientDataJSON), attestationObject: text(credential.response.attestationObject),
      transports: credential.response.getTransports() },
    clientExtensionResults: credential.getClientExtensionResults(), authenticatorAttachment: credential.authenticatorAttachment };
}`;

const GET = `async (options) => {
  const bytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
  const text = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const credential = await navigator.credentials.get({ publicKey: { ...options, challenge: bytes(options.challenge),
    allowCredentials: (options.allowCredentials || []).map((c) => ({ ...c, id: bytes(c.id) })) } });
  return { id: credential.id, rawId: text(credential.rawId), type: credential.type,
    response: { clientDataJSON: text(credential.response.clientDataJSON), authenticatorData: text(credential.response.authenticatorData),
      signature: text(credential.response.signature), userHandle: credential.response.userHandle ? text(credential.response.userHandle) : undefined },
    clientExtensionResults: credential.getClientExtensionResults(), authenticatorAttachment: credential.authenticatorAttachment };
}`;

describe('passkeys for staff in a real browser', () => {
  let signet: TestSignet;
  let browser: Browser | undefined;

  before(async () => {
    signet = await startTestSignet('pglite', {}, 'localhost');
    if (hasTool('chromium')) {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
    }
  });
  after(async () => {
    await browser?.close();
    await signet?.stop();
  });

  async function pageWithAuthenticator(): Promise<Page> {
    assert.ok(browser);
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${signet.platform.config.publicUrl}/healthz`);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return page;
  }

  it('registers a passkey for a signed-in user, then signs in with it alone, once per challenge', async (t) => {
    if (!browser) return t.skip('apt-get install -y chromium');
    const org = await createOrganization(signet.platform.db, {
      name: 'Keys Ltd',
      adminEmail: 'kim@keys.test',
    });
    const signedIn = await apiClient(signet.app).post<{ token: string }>('/api/v1/auth/sign-in', {
      email: org.adminEmail,
      password: org.adminPassword,
    });
    const session = apiClient(signet.app, signedIn.body.token);
    const page = await pageWithAuthenticator();

    const registration = await session.post<{ challengeId: string; options: Record<string, unknown> }>(
      '/api/v1/auth/passkeys/registration-options',
    );
    assert.equal((registration.body.options.rp as { id: string }).id, 'localhost');
    const created = await page.evaluate(`(${CREATE})(${JSON.stringify(registration.body.options)})`);
    const registered = await session.post('/api/v1/auth/passkeys', {
      challengeId: registration.body.challengeId,
      response: created,
    });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));

    const anonymous = apiClient(signet.app);
    const options = await anonymous.post<{ challengeId: string; options: Record<string, unknown> }>(
      '/api/v1/auth/passkeys/sign-in-options',
    );
    const assertion = await page.evaluate(`(${GET})(${JSON.stringify(options.body.options)})`);
    const viaPasskey = await anonymous.post<{ status: string; token: string; user: { email: string } }>(
      '/api/v1/auth/passkeys/sign-in',
      { challengeId: options.body.challengeId, response: assertion },
    );
    assert.equal(viaPasskey.status, 200, JSON.stringify(viaPasskey.body));
    assert.equal(viaPasskey.body.user.email, org.adminEmail);
    assert.equal((await apiClient(signet.app, viaPasskey.body.token).get('/api/v1/auth/me')).status, 200);

    const replayed = await anonymous.post('/api/v1/auth/passkeys/sign-in', {
      challengeId: options.body.challengeId,
      response: assertion,
    });
    assert.equal(replayed.status, 401);
    assert.equal(replayed.body.code, 'PASSKEY_CHALLENGE_INVALID');

    // An assertion made for one challenge does not answer another.
    const other = await anonymous.post<{ challengeId: string }>('/api/v1/auth/passkeys/sign-in-options');
    const mismatched = await anonymous.post('/api/v1/auth/passkeys/sign-in', {
      challengeId: other.body.challengeId,
      response: assertion,
    });
    assert.equal(mismatched.status, 401);
    assert.equal(mismatched.body.code, 'PASSKEY_SIGN_IN_FAILED');

    // For the web app: the session in the cookies, not in the answer.
    const jar = new CookieJar();
    const forCookie = await anonymous.post<{ challengeId: string; options: Record<string, unknown> }>(
      '/api/v1/auth/passkeys/sign-in-options',
    );
    const cookieAssertion = await page.evaluate(`(${GET})(${JSON.stringify(forCookie.body.options)})`);
    const cookieSignIn = await jar.inject(signet.app, {
      method: 'POST',
      url: '/api/v1/auth/passkeys/sign-in?session=cookie',
      payload: {
        challengeId: forCookie.body.challengeId,
        response: cookieAssertion as Record<string, unknown>,
      },
    });
    assert.equal(cookieSignIn.statusCode, 200, cookieSignIn.body);
    assert.equal((cookieSignIn.json() as { token?: string }).token, undefined);
    const me = await jar.inject(signet.app, { method: 'GET', url: '/api/v1/auth/me' });
    assert.equal((me.json() as { email: string }).email, org.adminEmail);

    // A deactivated user's passkey signs nobody in.
    await signet.platform.db.query('update users set deactivated_at = now() where email = $1', [
      org.adminEmail,
    ]);
    const later = await anonymous.post<{ challengeId: string; options: Record<string, unknown> }>(
      '/api/v1/auth/passkeys/sign-in-options',
    );
    const deactivated = await anonymous.post('/api/v1/auth/passkeys/sign-in', {
      challengeId: later.body.challengeId,
      response: await page.evaluate(`(${GET})(${JSON.stringify(later.body.options)})`),
    });
    assert.deepEqual([deactivated.status, deactivated.body.code], [401, 'PASSKEY_SIGN_IN_FAILED']);
  });
});
