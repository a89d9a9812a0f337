import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type OidcProviderPeer, startOidcProvider } from '../../test/peers/oidcProvider.ts';
import { hasTool } from '../../test/peers/pdfValidators.ts';
import {
  answerWithPysaml2,
  createPysaml2Idp,
  hasPysaml2,
  PYSAML2_INSTALL,
  type Pysaml2Idp,
  type ResponseOptions,
} from '../../test/peers/pysaml2Idp.ts';
import { postToAcs as postAnswer, redirectRequest } from '../../test/peers/saml/browser.ts';
import { stripSignatures, toBase64 } from '../../test/peers/saml/tamper.ts';
import { type ApiClient, apiClient } from '../../test/support/apiClient.ts';
import { CookieJar, oidcRoundTripCookie } from '../../test/support/cookieJar.ts';
import {
  createTestOrganization,
  databaseKinds,
  startTestSignet,
  type TestSignet,
} from '../../test/support/signetHarness.ts';
import { NAME_ID_EMAIL, NAME_ID_PERSISTENT } from '../identity/saml/index.ts';
import { emailFromSamlAssertion } from './sso.ts';

/*
 * Organisation single sign-on for staff (SPEC §E) through the same SAML and OpenID Connect code
 * as signer checks: a real pysaml2 IdP answering Signet's AuthnRequest at the real ACS, and a
 * real OpenID Provider (oidc-provider) clicked through in Debian's Chromium. The answer ends in
 * a one-time code on /auth/sso/complete, exchanged for a session token the API accepts.
 */

const CHROMIUM = '/usr/bin/chromium';

interface SignedIn {
  status: string;
  token: string;
  user: { email: string; role: string };
}

describe('the email a SAML assertion vouches for', () => {
  const cases: [string, Parameters<typeof emailFromSamlAssertion>[0], string | undefined][] = [
    ['the mail attribute', { nameId: 'x', attributes: { mail: ['olive@acme.test'] } }, 'olive@acme.test'],
    [
      'the OID of mail',
      { nameId: 'x', attributes: { 'urn:oid:0.9.2342.19200300.100.1.3': ['o@a.test'] } },
      'o@a.test',
    ],
    [
      'an emailAddress NameID',
      { nameId: 'olive@acme.test', nameIdFormat: NAME_ID_EMAIL, attributes: {} },
      'olive@acme.test',
    ],
    [
      'not a persistent NameID, even email-shaped',
      { nameId: 'olive@acme.test', nameIdFormat: NAME_ID_PERSISTENT, attributes: {} },
      undefined,
    ],
    [
      'not a mail attribute without an @',
      { nameId: 'x', nameIdFormat: NAME_ID_PERSISTENT, attributes: { mail: ['olive'] } },
      undefined,
    ],
  ];
  for (const [name, outcome, expected] of cases) {
    it(`takes ${name}`, () => assert.equal(emailFromSamlAssertion(outcome), expected));
  }
});

for (const kind of databaseKinds()) {
  describe(`staff single sign-on on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let organizationId: string;
    let ownerEmail: string;
    let idp: Pysaml2Idp | undefined;
    let spMetadataXml: string;

    before(async () => {
      // The OpenID Provider runs on loopback: the operator allows exactly that address.
      signet = await startTestSignet(kind, { OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1/32' });
      const organization = await createTestOrganization(signet);
      organizationId = organization.organizationId;
      ownerEmail = organization.adminEmail;
      api = apiClient(signet.app, organization.apiKey);
      if (!(await hasPysaml2())) return;
      idp = await createPysaml2Idp();
      spMetadataXml = (await signet.app.inject({ method: 'GET', url: `/saml/${organizationId}/metadata` }))
        .body;
    });
    after(async () => {
      await idp?.cleanup();
      await signet?.stop();
    });

    async function configureSaml(staffSignIn: boolean) {
      assert.ok(idp);
      const configured = await api.put<{
        identityProvider: { staffSignIn: boolean };
        staffSignInUrl: string;
      }>('/api/v1/identity-providers/saml', { metadataXml: idp.metadataXml, staffSignIn });
      assert.equal(configured.status, 200, JSON.stringify(configured.body));
      return configured.body;
    }

    /**
     * A browser opens the staff start URL (keeping the round trip's cookie) and pysaml2 answers
     * the request it carries; the answer comes back with that browser.
     */
    async function samlAnswer(options: ResponseOptions, browser = new CookieJar()) {
      assert.ok(idp);
      const started = await browser.inject(signet.app, {
        method: 'GET',
        url: `/auth/sso/${organizationId}/saml`,
      });
      assert.equal(started.statusCode, 302, started.body);
      const request = redirectRequest(String(started.headers.location));
      return { ...(await answerWithPysaml2(idp, spMetadataXml, request, options)), browser };
    }

    /** `browser` posts the answer to the ACS; by default a browser that started nothing. */
    const postToAcs = (samlResponse: string, browser?: CookieJar) =>
      postAnswer(signet.app, organizationId, samlResponse, {
        relayState: 'staff',
        ...(browser ? { browser } : {}),
      });

    function codeFrom(location: string | undefined): string {
      assert.ok(location, 'a redirect');
      const url = new URL(location);
      assert.equal(url.pathname, '/auth/sso/complete');
      assert.equal(url.search, '', 'the code is never in the query string, which servers log');
      const code = new URLSearchParams(url.hash.slice(1)).get('code');
      assert.ok(code);
      return code;
    }

    const exchange = (code: string) =>
      apiClient(signet.app).post<SignedIn & { code?: string }>('/api/v1/auth/sso/exchange', { code });

    function requireIdp(t: TestContext): boolean {
      if (idp) return true;
      t.skip(PYSAML2_INSTALL);
      return false;
    }

    it('is off until an admin turns it on for the identity provider', async (t) => {
      if (!requireIdp(t)) return;
      await configureSaml(false);
      const refused = await signet.app.inject({ method: 'GET', url: `/auth/sso/${organizationId}/saml` });
      assert.equal(refused.statusCode, 404);
      assert.match(refused.body, /SSO_NOT_CONFIGURED/);
      const view = await configureSaml(true);
      assert.equal(view.identityProvider.staffSignIn, true);
      assert.equal(view.staffSignInUrl, `${signet.url}/auth/sso/${organizationId}/saml`);
    });

    it('signs a user in through the SAML IdP: the ACS hands a one-time code, exchanged once for a session', async (t) => {
      if (!requireIdp(t)) return;
      await configureSaml(true);
      const answered = await samlAnswer({ attributes: { mail: [ownerEmail.toUpperCase()] } });
      const acs = await postToAcs(answered.samlResponse, answered.browser);
      assert.equal(acs.status, 303, acs.page);
      const code = codeFrom(acs.location);

      const signedIn = await exchange(code);
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      assert.equal(signedIn.body.user.email, ownerEmail);
      assert.equal(signedIn.body.user.role, 'owner');
      const me = await apiClient(signet.app, signedIn.body.token).get<{ email: string }>('/api/v1/auth/me');
      assert.equal(me.status, 200);
      assert.equal(me.body.email, ownerEmail);

      const again = await exchange(code);
      assert.equal(again.status, 401);
      assert.equal(again.body.code, 'SSO_CODE_INVALID');
      const replayed = await postToAcs(answered.samlResponse, answered.browser);
      assert.equal(replayed.status, 403);
      assert.equal(replayed.code, 'SAML_IN_RESPONSE_TO_REUSED');
      assert.match(replayed.page, /Sign-in failed/);
    });

    it('asks for an emailAddress NameID and takes it when the IdP sends no mail attribute', async (t) => {
      if (!requireIdp(t)) return;
      await configureSaml(true);
      const answered = await samlAnswer({ nameId: ownerEmail });
      assert.match(answered.xml, /Format="urn:oasis:names:tc:SAML:1\.1:nameid-format:emailAddress"/);
      const acs = await postToAcs(answered.samlResponse, answered.browser);
      assert.equal(acs.status, 303, acs.page);
      assert.equal((await exchange(codeFrom(acs.location))).status, 200);
    });

    it('refuses someone the organisation has no user for, with a page saying whom to ask', async (t) => {
      if (!requireIdp(t)) return;
      await configureSaml(true);
      const answered = await samlAnswer({ attributes: { mail: ['stranger@elsewhere.test'] } });
      const acs = await postToAcs(answered.samlResponse, answered.browser);
      assert.equal(acs.status, 403);
      assert.equal(acs.code, 'SSO_USER_UNKNOWN');
      assert.match(acs.page, /Ask an administrator of your organisation to add you/);
    });

    it('refuses a staff answer that fails the SAML checks, and issues no code', async (t) => {
      if (!requireIdp(t)) return;
      await configureSaml(true);
      const stripped = await samlAnswer({ attributes: { mail: [ownerEmail] } });
      const acs = await postToAcs(toBase64(stripSignatures(stripped.xml)), stripped.browser);
      assert.equal(acs.status, 403);
      assert.equal(acs.code, 'SAML_SIGNATURE_MISSING');
      assert.equal(acs.location, undefined);
      const cancel = await samlAnswer({ status: 'cancel' });
      const cancelled = await postToAcs(cancel.samlResponse, cancel.browser);
      assert.equal(cancelled.code, 'SAML_CANCELLED');
      assert.match(cancelled.page, /Sign-in cancelled/);
    });

    it('refuses a SAML answer delivered to another browser (SAML_BROWSER_MISMATCH), and issues no code; the one that started it signs in', async (t) => {
      if (!requireIdp(t)) return;
      await configureSaml(true);
      const answered = await samlAnswer({ attributes: { mail: [ownerEmail] } });
      // Login CSRF: the answer to someone else's sign-in, posted from a browser that started none,
      // and from one that started its own.
      const started = await samlAnswer({ attributes: { mail: [ownerEmail] } });
      for (const browser of [new CookieJar(), started.browser]) {
        const refused = await postToAcs(answered.samlResponse, browser);
        assert.equal(refused.status, 403);
        assert.equal(refused.code, 'SAML_BROWSER_MISMATCH');
        assert.equal(refused.location, undefined, 'no sign-in code');
        assert.match(refused.page, /Sign-in started in another browser/);
      }
      const acs = await postToAcs(answered.samlResponse, answered.browser);
      assert.equal(acs.status, 303, acs.page);
      assert.equal((await exchange(codeFrom(acs.location))).status, 200);
    });

    it('refuses a made-up or expired sign-in code', async () => {
      const forged = await exchange('sso_thisIsNotACodeSignetIssued0000000000000');
      assert.equal(forged.status, 401);
      assert.equal(forged.body.code, 'SSO_CODE_INVALID');
    });

    describe('through an OpenID Provider in a real browser', () => {
      let op: OidcProviderPeer;
      let browser: Browser | undefined;

      before(async () => {
        op = await startOidcProvider([`${signet.url}/oidc/${organizationId}/callback`]);
        op.accounts.set('olive', { email: ownerEmail, email_verified: true, name: 'Olive Owner' });
        op.accounts.set('unverified', { email: ownerEmail, email_verified: false });
        if (hasTool('chromium')) {
          browser = await chromium.launch({
            executablePath: CHROMIUM,
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
          });
        }
        const configured = await api.put('/api/v1/identity-providers/oidc', {
          issuer: op.issuer,
          clientId: op.clientId,
          clientSecret: op.clientSecret,
          staffSignIn: true,
        });
        assert.equal(configured.status, 200, JSON.stringify(configured.body));
      });
      after(async () => {
        await browser?.close();
        await op?.close();
      });

      /** At the provider's login page: signs in as `login` and consents. */
      async function atProvider(page: Page, login: string) {
        await page.locator('input[name=login]').fill(login);
        await page.locator('input[name=password]').fill('any password');
        await page.getByRole('button', { name: 'Sign-in' }).click();
        await page.getByRole('button', { name: 'Continue' }).click();
      }

      async function signInAs(login: string) {
        assert.ok(browser);
        const page = await (await browser.newContext()).newPage();
        await page.goto(`${signet.url}/auth/sso/${organizationId}/oidc`);
        await atProvider(page, login);
        return page;
      }

      it('offers its button on the sign-in page the organisation links to, and the button signs in', async (t) => {
        if (!browser) return t.skip('apt-get install -y chromium');
        const brand = await signet.app.inject({ method: 'GET', url: `/api/v1/branding/${organizationId}` });
        assert.deepEqual(brand.json().staffSignIn, { saml: true, oidc: true });
        const page = await (await browser.newContext()).newPage();
        await page.goto(`${signet.url}/login`);
        await page.getByRole('heading', { name: 'Sign in' }).waitFor();
        assert.equal(await page.getByText(/organisation’s account/).count(), 0, 'no organisation, no button');
        await page.goto(`${signet.url}/login?organization=${organizationId}`);
        await page.getByRole('link', { name: /organisation’s account \(OpenID Connect\)/ }).click();
        await atProvider(page, 'olive');
        await page.waitForURL((url) => url.pathname.startsWith('/app'));
        await page.context().close();
      });

      it('lands in the web app signed in by an HttpOnly cookie session the API accepts', async (t) => {
        if (!browser) return t.skip('apt-get install -y chromium');
        const page = await signInAs('olive');
        await page.waitForURL((url) => url.pathname.startsWith('/app'));
        assert.equal(new URL(page.url()).hash, '', 'the code is wiped from the address bar');
        const cookies = await page.context().cookies();
        const session = cookies.find((cookie) => cookie.name === 'signet_session');
        assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
        assert.equal(await page.evaluate("document.cookie.includes('sgs_')"), false, 'no script sees it');
        const me = await apiClient(signet.app, session.value).get<{ email: string; role: string }>(
          '/api/v1/auth/me',
        );
        assert.equal(me.status, 200);
        assert.equal(me.body.email, ownerEmail);
        await page.context().close();
      });

      it('refuses an answer that reaches another browser (OIDC_BROWSER_MISMATCH): with no cookie or a forged one; the browser that started it signs in', async (t) => {
        if (!browser) return t.skip('apt-get install -y chromium');
        // Login CSRF: a sign-in started in one browser, finished at the provider in another.
        const started = await signet.app.inject({ method: 'GET', url: `/auth/sso/${organizationId}/oidc` });
        assert.equal(started.statusCode, 302, started.body);
        const nonce = started.cookies.find((c) => c.name === 'signet_oidc_round_trip');
        assert.ok(nonce);
        assert.equal(nonce.path, `/oidc/${organizationId}/callback`);
        const cookieAt = (value: string) => oidcRoundTripCookie(nonce, signet.url, value);

        const elsewhere = await (await browser.newContext()).newPage();
        await elsewhere.goto(String(started.headers.location));
        await atProvider(elsewhere, 'olive');
        await elsewhere.getByRole('heading', { name: 'Sign-in started in another browser' }).waitFor();
        assert.match(await elsewhere.content(), /OIDC_BROWSER_MISMATCH/);
        const callback = elsewhere.url();
        assert.match(callback, /\/callback\?.*code=/);

        const forgedContext = await browser.newContext();
        await forgedContext.addCookies([cookieAt('forged-nonce')]);
        const forged = await (await forgedContext.newPage()).goto(callback);
        assert.equal(forged?.status(), 403);
        assert.match((await forged?.text()) ?? '', /OIDC_BROWSER_MISMATCH/);

        const starterContext = await browser.newContext();
        await starterContext.addCookies([cookieAt(nonce.value)]);
        const starter = await starterContext.newPage();
        await starter.goto(callback);
        await starter.waitForURL((url) => url.pathname.startsWith('/app'));
        await Promise.all([elsewhere.context().close(), forgedContext.close(), starterContext.close()]);
      });

      it('refuses an account whose email the provider has not verified', async (t) => {
        if (!browser) return t.skip('apt-get install -y chromium');
        const page = await signInAs('unverified');
        await page.getByRole('heading', { name: 'Email not verified' }).waitFor();
        assert.match(await page.content(), /OIDC_EMAIL_UNVERIFIED/);
        await page.context().close();
      });
    });
  });
}
