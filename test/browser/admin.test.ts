import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { createOrganization } from '../../src/orgs/organizations.ts';
import { hasTool } from '../peers/pdfValidators.ts';
import { type ApiClient, apiClient, outboxMail } from '../support/apiClient.ts';
import {
  axeViolations,
  DESKTOP,
  launchChromium,
  PHONE,
  screenshot,
  seriousOrCritical,
} from '../support/browser.ts';
import { eventually, startTestSignet, type TestSignet } from '../support/signetHarness.ts';

/*
 * The workspace's admin pages in Debian's Chromium (issue 11: users, API keys, settings and the
 * brand): an owner invites a colleague who accepts from the mailed link and signs in; a viewer is
 * shown neither the Users page nor its data; an admin makes an API key whose secret is shown
 * once, and gives the organisation a colour the whole workspace then wears. axe on each page,
 * screenshots at phone and desktop widths under test-results/admin/.
 */

const PASSWORD = 'correct horse battery staple';
/** In the page (the root tsconfig has no DOM library): the --brand the document wears. */
const BRAND = "getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()";

describe('the admin pages in a real browser', { skip: !hasTool('chromium') && 'no chromium' }, () => {
  let signet: TestSignet;
  let browser: Browser;
  let owner: { email: string; password: string; api: ApiClient };

  before(async () => {
    signet = await startTestSignet('pglite');
    browser = await launchChromium();
    const org = await createOrganization(signet.platform.db, {
      name: 'Lovelace Analytics',
      adminEmail: 'owner@lovelace.test',
      adminName: 'Ada Owner',
    });
    owner = { email: org.adminEmail, password: org.adminPassword, api: apiClient(signet.app, org.apiKey) };
  });
  after(async () => {
    await browser?.close();
    await signet?.stop();
  });

  const url = (path: string) => `${signet.platform.config.publicUrl}${path}`;

  /** A fresh browser (axe needs the CSP bypassed to inject itself), signed in through the sign-in page. */
  async function signIn(email: string, password: string, options: BrowserContextOptions = DESKTOP) {
    const context = await browser.newContext({ ...options, locale: 'en-GB', bypassCSP: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url('/login'));
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Envelopes' }).waitFor();
    return { page, errors };
  }

  async function navLabels(page: Page): Promise<string[]> {
    const menu = page.locator('#shell-menu nav a');
    return (await menu.allTextContents()).map((text) => text.trim());
  }

  /** The link of the newest account invitation to `email`, as the outbox holds the mail. */
  async function invitationLink(email: string): Promise<string> {
    return eventually(async () => {
      const mail = (await outboxMail(owner.api)).find(
        (message) => message.to === email && message.kind === 'account-invitation',
      );
      return mail?.text
        ? /https?:\/\/\S+\/app\/accept-invite\?token=[A-Za-z0-9_%-]+/.exec(mail.text)?.[0]
        : undefined;
    }, `the invitation to ${email}`);
  }

  /** A colleague with `role`, invited and accepted through the API (the UI path is the first case). */
  async function colleague(role: string, email: string) {
    const invited = await owner.api.post('/api/v1/users', { email, role, name: `Test ${role}` });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const token = decodeURIComponent(new URL(await invitationLink(email)).searchParams.get('token') ?? '');
    const accepted = await apiClient(signet.app).post('/api/v1/auth/accept-invite', {
      token,
      password: PASSWORD,
    });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  }

  async function expectAccessible(page: Page, what: string) {
    assert.deepEqual(seriousOrCritical(await axeViolations(page)), [], `axe on ${what}`);
  }

  /** Desktop, then phone width, of the page as it is. */
  async function shots(page: Page, name: string) {
    await screenshot(page, 'admin', `${name}-1280`);
    await page.setViewportSize({ width: 375, height: 740 });
    await screenshot(page, 'admin', `${name}-375`);
    await page.setViewportSize(DESKTOP.viewport ?? { width: 1280, height: 900 });
  }

  it('an owner invites a sender by mail; the sender accepts from the link and signs in', async () => {
    const { page, errors } = await signIn(owner.email, owner.password);
    assert.deepEqual(await navLabels(page), ['Envelopes', 'New envelope', 'Users', 'API keys', 'Settings']);
    await page.locator('#shell-menu').getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByRole('cell', { name: /owner@lovelace\.test/ }).waitFor();

    await page.getByRole('button', { name: 'Invite someone' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite someone' });
    await dialog.getByLabel('Email address').fill('grace@lovelace.test');
    await dialog.getByLabel('Name (optional)').fill('Grace Hopper');
    await dialog.getByLabel('Role').selectOption('sender');
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText('Invitation sent to grace@lovelace.test').first().waitFor();
    const row = page.getByRole('row', { name: /Grace Hopper/ });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Sender.*Invited.*Never/);
    await expectAccessible(page, 'the users page');
    await shots(page, 'users');

    // Deactivating oneself is not offered; the API's refusals read as sentences.
    const mine = page.getByRole('row', { name: /owner@lovelace\.test/ });
    assert.equal(await mine.getByRole('button', { name: 'Deactivate' }).count(), 0);
    await mine.getByRole('button', { name: 'Change role' }).click();
    const roleDialog = page.getByRole('dialog');
    await roleDialog.getByLabel('Role').selectOption('admin');
    await roleDialog.getByRole('button', { name: 'Save role' }).click();
    await roleDialog.getByText('This is the organisation’s last active owner').waitFor();
    await roleDialog.getByRole('button', { name: 'Cancel' }).click();

    // Grace opens the link from her mail on her phone, chooses a password and signs in.
    const link = await invitationLink('grace@lovelace.test');
    const phone = await browser.newContext({ ...PHONE, locale: 'en-GB', bypassCSP: true });
    const grace = await phone.newPage();
    await grace.goto(link);
    await grace.getByRole('heading', { name: 'Join your organisation' }).waitFor();
    await grace.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await grace.getByLabel('Repeat the new password').fill(PASSWORD);
    await grace.getByRole('button', { name: 'Create my account' }).click();
    await grace.waitForURL(/\/login|\/app\/envelopes/);
    if (grace.url().includes('/login')) {
      await grace.getByLabel('Email address').fill('grace@lovelace.test');
      await grace.getByLabel('Password').fill(PASSWORD);
      await grace.getByRole('button', { name: 'Sign in', exact: true }).click();
    }
    await grace.getByRole('heading', { name: 'Envelopes' }).waitFor();
    // A sender makes envelopes and keys, and does not manage users or settings.
    assert.deepEqual(await navLabels(grace), ['Envelopes', 'New envelope', 'API keys']);
    await phone.close();

    await page.reload();
    await page
      .getByRole('row', { name: /Grace Hopper/ })
      .getByText('Active')
      .waitFor();
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('a viewer sees no Users or Settings, and /app/users refuses rather than shows data', async () => {
    await colleague('viewer', 'vera@lovelace.test');
    const { page, errors } = await signIn('vera@lovelace.test', PASSWORD);
    assert.deepEqual(await navLabels(page), ['Envelopes', 'API keys']);
    let askedForUsers = false;
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/v1/users')) askedForUsers = true;
    });
    for (const path of ['/app/users', '/app/settings']) {
      await page.goto(url(path));
      await page.getByRole('heading', { name: 'Not available to you' }).waitFor();
      assert.equal(await page.getByRole('table').count(), 0, `${path} shows no data`);
    }
    assert.equal(askedForUsers, false, 'the page did not even ask for the users');
    assert.equal(await page.getByText('owner@lovelace.test').count(), 0);
    // And the API refuses too, whatever the page does.
    const keyPage = await page.request.get(url('/api/v1/users'));
    assert.equal(keyPage.status(), 403);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('an admin creates an API key and sees its secret once, then gives the workspace its colour', async () => {
    await colleague('admin', 'alan@lovelace.test');
    const { page, errors } = await signIn('alan@lovelace.test', PASSWORD);
    await page.locator('#shell-menu').getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Accounting export');
    await dialog.getByRole('checkbox', { name: /envelopes:write/ }).check();
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await dialog.getByRole('heading', { name: 'Your new API key' }).waitFor();
    await dialog.getByText('You won’t see it again').waitFor();
    const secret = await dialog.getByLabel('The API key').inputValue();
    assert.match(secret, /^sgk_/);
    await expectAccessible(page, 'the new key’s secret');
    await shots(page, 'api-key-secret');
    await dialog.getByRole('button', { name: 'I have copied it' }).click();

    const row = page.getByRole('row', { name: /Accounting export/ });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /envelopes:read, envelopes:write.*Test admin.*Never/);
    assert.equal(await page.getByText(secret).count(), 0, 'the secret is gone from the page');
    assert.equal(await page.locator(`input[value="${secret}"]`).count(), 0);
    // The key works, with what it was given.
    const withKey = apiClient(signet.app, secret);
    assert.equal((await withKey.get('/api/v1/envelopes')).status, 200);
    assert.equal((await withKey.get('/api/v1/users')).status, 403);
    await page.reload();
    await page.getByRole('row', { name: /Accounting export/ }).waitFor();
    assert.equal(await page.getByText(secret).count(), 0, 'and never shown again');
    await expectAccessible(page, 'the API keys page');
    await shots(page, 'api-keys');

    // Settings: a colour white text cannot be read on is refused in words; a good one is worn.
    await page.locator('#shell-menu').getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    const branding = page.getByRole('region', { name: 'Branding' });
    await branding.getByLabel('Primary colour', { exact: true }).fill('#ffee00');
    await branding.getByRole('button', { name: 'Save' }).click();
    await branding.getByText('White text on this colour would be hard to read').waitFor();
    await branding.getByLabel('Primary colour', { exact: true }).fill('#0b6e4f');
    await branding.getByLabel('Product name').fill('Lovelace Sign');
    await branding.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Settings saved').first().waitFor();
    await page.locator('.brand-name', { hasText: 'Lovelace Sign' }).waitFor();
    const brand = await page.evaluate(BRAND);
    assert.equal(brand, '#0b6e4f');
    const button = await branding
      .getByRole('button', { name: 'Save' })
      .evaluate(
        (element) =>
          (
            globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
          ).getComputedStyle(element).backgroundColor,
      );
    assert.equal(button, 'rgb(11, 110, 79)', 'the primary buttons wear the colour');

    // A mail's wording, previewed in a sandbox that can run nothing.
    const mail = page.getByRole('region', { name: 'Email texts' });
    await mail.getByRole('button', { name: 'Preview' }).click();
    const preview = mail.locator('iframe');
    await preview.waitFor();
    assert.equal(await preview.getAttribute('sandbox'), '');
    assert.match((await preview.getAttribute('srcdoc')) ?? '', /Lovelace Sign/);
    await expectAccessible(page, 'the settings page');
    await shots(page, 'settings');

    // The brand stays after a reload, from the API: the workspace's header and buttons.
    await page.goto(url('/app/envelopes'));
    await page.locator('.brand-name', { hasText: 'Lovelace Sign' }).waitFor();
    await page.waitForFunction(`${BRAND} === '#0b6e4f'`);
    await shots(page, 'branded-envelopes');
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('the owner of an unnamed organisation is asked to name it', async () => {
    const { page } = await signIn(owner.email, owner.password);
    // createOrganization names its organisation; the first start's placeholder does not.
    await signet.platform.db.query('update organizations set name_confirmed = false');
    await page.reload();
    await page.getByText('Your organisation still has its placeholder name').waitFor();
    await page.getByRole('link', { name: 'Name your organisation' }).click();
    await page.getByLabel('Organisation name').fill('Lovelace Analytics GmbH');
    await page.getByRole('region', { name: 'Organisation' }).getByRole('button', { name: 'Save' }).click();
    await page.getByText('Settings saved').first().waitFor();
    await page.goto(url('/app/envelopes'));
    await page.getByRole('heading', { name: 'Envelopes' }).waitFor();
    assert.equal(await page.getByText('Your organisation still has its placeholder name').count(), 0);
    await page.context().close();
  });
});
