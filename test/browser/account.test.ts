import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createOrganization } from '../../src/orgs/organizations.ts';
import { hasTool } from '../peers/pdfValidators.ts';
import {
  axeViolations,
  DESKTOP,
  launchChromium,
  PHONE,
  screenshot,
  seriousOrCritical,
} from '../support/browser.ts';
import { startTestSignet, type TestSignet } from '../support/signetHarness.ts';

/*
 * The account page in Debian's Chromium (issue 11 item 2): a person turns on two-step sign-in by
 * typing the code their authenticator app would show for the key on the screen, sees the recovery
 * codes once, and from then on is asked for a code after the password; they add a passkey with
 * Chromium's virtual authenticator. axe on the page; screenshots at
 * phone and desktop widths under test-results/account/.
 */

/** The field showing the key in groups of four. */
const SECRET_FIELD = 'The key for your authenticator app';

describe('the account page in a real browser', { skip: !hasTool('chromium') && 'no chromium' }, () => {
  let signet: TestSignet;
  let browser: Browser;
  let person: { email: string; password: string };

  before(async () => {
    // localhost, not 127.0.0.1: WebAuthn refuses an IP address as the relying party's id.
    signet = await startTestSignet('pglite', {}, 'localhost');
    browser = await launchChromium();
    const org = await createOrganization(signet.platform.db, {
      name: 'Hopper Holdings',
      adminEmail: 'grace@hopper.test',
      adminName: 'Grace Hopper',
    });
    person = { email: org.adminEmail, password: org.adminPassword };
  });
  after(async () => {
    await browser?.close();
    await signet?.stop();
  });

  const url = (path: string) => `${signet.platform.config.publicUrl}${path}`;

  /** A fresh desktop browser with a virtual authenticator (CTAP2, discoverable, user verified). */
  async function freshBrowser(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ ...DESKTOP, locale: 'en-GB', bypassCSP: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const cdp = await context.newCDPSession(page);
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
    return { context, page, errors };
  }

  async function enterPassword(page: Page) {
    await page.goto(url('/login'));
    await page.getByLabel('Email address').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function signOut(page: Page) {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }

  it('turns on two-step sign-in, shows the recovery codes once, asks for a code from then on, and adds a passkey', async () => {
    const { page, errors } = await freshBrowser();
    await enterPassword(page);
    await page.getByRole('heading', { name: 'Envelopes' }).waitFor();
    await page.locator('#shell-menu').getByRole('link', { name: 'Your account' }).click();
    await page.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
    await page.getByText('Two-step sign-in is off.').waitFor();
    assert.deepEqual(seriousOrCritical(await axeViolations(page)), [], 'axe on the account page');
    await screenshot(page, 'account', 'account-1280');

    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const shown = await page.getByLabel(SECRET_FIELD).inputValue();
    assert.match(shown, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/, 'the key in groups of four');
    const secret = shown.replace(/\s+/g, '');
    const link = await page.getByRole('link', { name: 'open this link in the app' }).getAttribute('href');
    assert.ok(link?.startsWith('otpauth://totp/') && link.includes(`secret=${secret}`), String(link));
    assert.deepEqual(seriousOrCritical(await axeViolations(page)), [], 'axe while enrolling');
    await page.getByLabel('Six-digit code from the app').fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await page.getByText('Two-step sign-in is now on.').waitFor();
    const codes = (
      await page.getByRole('list', { name: 'Your recovery codes' }).locator('code').allTextContents()
    ).map((code) => code.trim());
    assert.equal(codes.length, 10);
    for (const code of codes) assert.match(code, /^[0-9a-f]{5}-[0-9a-f]{5}$/);
    await page.getByText('You won’t see them again', { exact: false }).waitFor();
    await screenshot(page, 'account', 'recovery-codes-1280');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByText('Two-step sign-in is on.').waitFor();
    assert.equal(await page.getByText(codes[0] ?? '').count(), 0, 'the codes are gone from the page');

    await signOut(page);
    await enterPassword(page);
    // The code of the next time step: the one used to enrol may not be used twice.
    await page
      .getByLabel('Authentication code')
      .fill(await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Envelopes' }).waitFor();

    // A passkey, added on the account page: the virtual authenticator answers and Signet keeps it.
    await page.goto(url('/app/account'));
    await page.getByText('Two-step sign-in is on.').waitFor();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Passkey added.', { exact: false }).first().waitFor();
    assert.deepEqual(seriousOrCritical(await axeViolations(page)), [], 'axe after adding a passkey');
    await screenshot(page, 'account', 'two-step-on-1280');
    await page.setViewportSize(PHONE.viewport ?? { width: 375, height: 740 });
    await screenshot(page, 'account', 'two-step-on-375');
    const stored = await signet.platform.db.query<{ n: number }>(
      'select count(*)::int as n from webauthn_credentials c join users u on u.id = c.user_id where u.email = $1',
      [person.email],
    );
    assert.equal(stored[0]?.n, 1, 'the passkey is stored for the person');
    assert.deepEqual(errors, []);
  });
});
