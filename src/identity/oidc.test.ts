import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type OidcProviderPeer, startOidcProvider } from '../../test/peers/oidcProvider.ts';
import { hasTool } from '../../test/peers/pdfValidators.ts';
import { type ApiClient, apiClient, envelopeJson, latestTokenFor } from '../../test/support/apiClient.ts';
import { oidcRoundTripCookie } from '../../test/support/cookieJar.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  startTestSignet,
  type TestSignet,
} from '../../test/support/signetHarness.ts';

/*
 * OpenID Connect identity checks end to end: Signet's real start and callback endpoints, a real
 * OpenID Provider (oidc-provider) with its own login and consent pages, and Debian's Chromium
 * clicking through them — authorization code flow with PKCE, state and nonce.
 */

const CHROMIUM = '/usr/bin/chromium';

for (const kind of databaseKinds()) {
  describe(`OpenID Connect identity checks on ${kind}`, () => {
    let signet: TestSignet;
    let op: OidcProviderPeer;
    let api: ApiClient;
    let browser: Browser | undefined;

    before(async () => {
      // The OpenID Provider runs on loopback: the operator allows exactly that address.
      signet = await startTestSignet(kind, { OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1/32' });
      const organization = await createTestOrganization(signet);
      api = apiClient(signet.app, organization.apiKey);
      op = await startOidcProvider([`${signet.url}/oidc/${organization.organizationId}/callback`]);
      op.accounts.set('olga', { email: 'olga@client.test', email_verified: true, name: 'Olga Owens' });
      op.accounts.set('mallory', { email: 'mallory@evil.test', email_verified: true });
      op.accounts.set('unverified', { email: 'una@client.test', email_verified: false });
      if (hasTool('chromium')) {
        browser = await chromium.launch({
          executablePath: CHROMIUM,
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
        });
      }
    });
    after(async () => {
      await browser?.close();
      await op?.close();
      await signet?.stop();
    });

    async function configure() {
      const configured = await api.put<{ redirectUri: string; provider: { issuer: string } }>(
        '/api/v1/identity-providers/oidc',
        { issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret },
      );
      assert.equal(configured.status, 200, JSON.stringify(configured.body));
      return configured.body;
    }

    async function linkFor(email: string, identity: unknown[] = [{ kind: 'oidc' }]) {
      const created = await api.post<{ id: string }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf(), {
          recipients: [{ name: 'Olga Owens', email, identity }],
          fields: [{ recipient: email, type: 'signature', page: 1, x: 50, y: 600, width: 150, height: 40 }],
        }),
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return { token: await latestTokenFor(api, email), envelopeId: created.body.id };
    }

    /** At the provider's login page: signs in as `login` and consents (or cancels there). */
    async function atProvider(page: Page, login: string | 'cancel'): Promise<void> {
      await page.locator('input[name=login]').waitFor();
      if (login === 'cancel') {
        await page.getByRole('link', { name: '[ Cancel ]' }).click();
      } else {
        await page.locator('input[name=login]').fill(login);
        await page.locator('input[name=password]').fill('any password');
        await page.getByRole('button', { name: 'Sign-in' }).click();
        await page.getByRole('button', { name: 'Continue' }).click();
      }
      await page.getByRole('heading').first().waitFor();
    }

    /** Opens the start URL and signs in at the provider as `login` (or cancels there). */
    async function throughProvider(token: string, login: string | 'cancel'): Promise<Page> {
      assert.ok(browser);
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${signet.url}/api/v1/signing/${token}/identity/oidc/start`);
      await atProvider(page, login);
      return page;
    }

    async function checkOf(token: string) {
      const session = await apiClient(signet.app).get<{
        identity: { kind: string; status: string; reason: string | null }[];
      }>(`/api/v1/signing/${token}`);
      return session.body.identity.find((c) => c.kind === 'oidc');
    }

    it('is refused for an envelope until the organisation has a provider', async () => {
      const created = await api.post(
        '/api/v1/envelopes',
        envelopeJson(await makePdf(), {
          recipients: [{ name: 'O', email: 'o@client.test', identity: [{ kind: 'oidc' }] }],
        }),
      );
      assert.equal(created.status, 422);
      assert.equal(created.body.code, 'OIDC_NOT_CONFIGURED');
    });

    it('checks the provider’s discovery when it is configured, and tells the redirect URI to register', async () => {
      const bad = await api.put('/api/v1/identity-providers/oidc', {
        issuer: 'http://127.0.0.1:9/nothing-here',
        clientId: 'x',
        clientSecret: 'y',
      });
      assert.equal(bad.status, 502);
      assert.equal(bad.body.code, 'OIDC_DISCOVERY_FAILED');
      const view = await configure();
      assert.match(view.redirectUri, /\/oidc\/[0-9a-f-]{36}\/callback$/);
      assert.equal(view.provider.issuer, op.issuer);
    });

    it('passes when the signer signs in with the invited, verified address; the evidence is audited', async (t) => {
      if (!browser) return t.skip('apt-get install -y chromium');
      await configure();
      const { token, envelopeId } = await linkFor('olga@client.test');
      const page = await throughProvider(token, 'olga');
      assert.equal(await page.getByRole('heading').first().textContent(), 'Identity verified');
      assert.deepEqual(await checkOf(token), { kind: 'oidc', status: 'passed', reason: null });
      const audit = await api.get<{ events: { type: string; data: Record<string, unknown> }[] }>(
        `/api/v1/envelopes/${envelopeId}/audit`,
      );
      const passed = audit.body.events.find((e) => e.type === 'identity.passed' && e.data.kind === 'oidc');
      const evidence = passed?.data.evidence as Record<string, unknown>;
      assert.equal(evidence.issuer, op.issuer);
      assert.equal(evidence.subject, 'olga');
      assert.equal(evidence.email, 'olga@client.test');

      // The same redirect again (a replayed or bookmarked callback) is refused: state is single-use.
      const again = await page.goto(page.url());
      assert.equal(again?.status(), 403);
      assert.match(String(await page.locator('.code').textContent()), /OIDC_STATE_REUSED/);
    });

    it('refuses an answer that reaches another browser (OIDC_BROWSER_MISMATCH): with no cookie or a forged one; the browser that started it still finishes it', async (t) => {
      if (!browser) return t.skip('apt-get install -y chromium');
      await configure();
      const { token } = await linkFor('olga@client.test');
      // Login CSRF: one browser starts the round trip and hands its authorization URL on; another
      // signs in at the provider and is sent back to Signet's callback without the nonce.
      const started = await signet.app.inject({
        method: 'GET',
        url: `/api/v1/signing/${token}/identity/oidc/start`,
      });
      assert.equal(started.statusCode, 302);
      const nonce = started.cookies.find((c) => c.name === 'signet_oidc_round_trip');
      assert.ok(nonce);
      assert.equal(nonce.httpOnly, true);
      assert.equal(nonce.sameSite, 'Lax');
      assert.match(nonce.path ?? '', /^\/oidc\/[0-9a-f-]{36}\/callback$/);
      const cookieAt = (value: string) => oidcRoundTripCookie(nonce, signet.url, value);

      const elsewhere = await (await browser.newContext()).newPage();
      await elsewhere.goto(String(started.headers.location));
      await atProvider(elsewhere, 'olga');
      assert.equal(
        await elsewhere.getByRole('heading').first().textContent(),
        'Verification started in another browser',
      );
      assert.match(await elsewhere.content(), /OIDC_BROWSER_MISMATCH/);
      const callback = elsewhere.url();
      assert.match(callback, /\/callback\?.*code=/);
      assert.deepEqual(await checkOf(token), {
        kind: 'oidc',
        status: 'failed',
        reason: 'OIDC_BROWSER_MISMATCH',
      });

      const forgedContext = await browser.newContext();
      await forgedContext.addCookies([cookieAt('forged-nonce')]);
      const forged = await (await forgedContext.newPage()).goto(callback);
      assert.equal(forged?.status(), 403);
      assert.match((await forged?.text()) ?? '', /OIDC_BROWSER_MISMATCH/);

      // The browser holding the nonce: the code was never exchanged, so it still completes.
      const starterContext = await browser.newContext();
      await starterContext.addCookies([cookieAt(nonce.value)]);
      const starter = await starterContext.newPage();
      const finished = await starter.goto(callback);
      assert.equal(finished?.status(), 200, await finished?.text());
      assert.equal(await starter.getByRole('heading').first().textContent(), 'Identity verified');
      assert.deepEqual(await checkOf(token), { kind: 'oidc', status: 'passed', reason: null });
      assert.deepEqual(
        (await starterContext.cookies()).filter((c) => c.name === nonce.name),
        [],
        'the callback cleared the used cookie',
      );
    });

    it('fails as cancelled when the signer cancels at the provider', async (t) => {
      if (!browser) return t.skip('apt-get install -y chromium');
      await configure();
      const { token } = await linkFor('olga.cancel@client.test');
      const page = await throughProvider(token, 'cancel');
      assert.equal(await page.getByRole('heading').first().textContent(), 'Verification cancelled');
      assert.deepEqual(await checkOf(token), { kind: 'oidc', status: 'failed', reason: 'OIDC_CANCELLED' });
    });

    it('fails when the account’s email is another address, or is not verified', async (t) => {
      if (!browser) return t.skip('apt-get install -y chromium');
      await configure();
      const mismatch = await linkFor('olga.other@client.test');
      const page = await throughProvider(mismatch.token, 'mallory');
      assert.equal(await page.getByRole('heading').first().textContent(), 'Different account');
      assert.equal((await checkOf(mismatch.token))?.reason, 'OIDC_EMAIL_MISMATCH');

      const unverified = await linkFor('una@client.test');
      await throughProvider(unverified.token, 'unverified');
      assert.equal((await checkOf(unverified.token))?.reason, 'OIDC_EMAIL_UNVERIFIED');
    });

    it('fails as a timeout when the answer comes after the window', async (t) => {
      if (!browser) return t.skip('apt-get install -y chromium');
      await configure();
      const { token } = await linkFor('olga.late@client.test');
      assert.ok(browser);
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${signet.url}/api/v1/signing/${token}/identity/oidc/start`);
      await page.locator('input[name=login]').waitFor();
      await signet.platform.db.query(`update oidc_requests set expires_at = now() - interval '1 second'`);
      await page.locator('input[name=login]').fill('olga');
      await page.locator('input[name=password]').fill('x');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: 'Verification timed out' }).waitFor();
      assert.equal((await checkOf(token))?.reason, 'OIDC_TIMEOUT');
    });

    it('fails as a timeout when no answer comes at all within the window', async () => {
      await configure();
      const { token } = await linkFor('olga.gone@client.test');
      const started = await apiClient(signet.app).get(`/api/v1/signing/${token}/identity/oidc/start`);
      assert.equal(started.status, 302);
      assert.equal((await checkOf(token))?.reason, 'OIDC_IN_PROGRESS');
      await signet.platform.db.query(`update oidc_requests set expires_at = now() - interval '1 second'`);
      assert.deepEqual(await checkOf(token), { kind: 'oidc', status: 'failed', reason: 'OIDC_TIMEOUT' });
    });

    it('sends PKCE (S256), state and nonce to the provider', async () => {
      await configure();
      const { token } = await linkFor('olga.pkce@client.test');
      const started = await apiClient(signet.app).get(`/api/v1/signing/${token}/identity/oidc/start`);
      const location = new URL(String(started.headers.location));
      assert.equal(location.origin, op.issuer);
      assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
      assert.match(location.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.ok((location.searchParams.get('state') ?? '').length >= 32);
      assert.ok((location.searchParams.get('nonce') ?? '').length >= 32);
      assert.equal(location.searchParams.get('scope'), 'openid email profile');
      assert.ok(!location.href.includes(token), 'the signing token never goes to the provider');
    });

    it('refuses a callback with a state it never issued', async () => {
      const organizationId = (await configure()).redirectUri.split('/').at(-2);
      const forged = await signet.app.inject({
        method: 'GET',
        url: `/oidc/${organizationId}/callback?code=stolen&state=made-up`,
      });
      assert.equal(forged.statusCode, 403);
      assert.match(forged.body, /OIDC_STATE_UNKNOWN/);
    });
  });
}
