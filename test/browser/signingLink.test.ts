import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { hasTool } from '../peers/pdfValidators.ts';
import { apiClient, envelopeJson, latestTokenFor, outboxMail } from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/**
 * A recipient clicks the link in their invitation and completes their part in a real
 * browser (Debian's Chromium; Playwright gives it a fresh temporary profile), using the
 * labelled controls the page offers.
 */
const CHROMIUM = '/usr/bin/chromium';

describe('the signing link in a real browser', () => {
  let signet: TestSignet;
  let browser: Browser | undefined;

  before(async () => {
    signet = await startTestSignet('pglite');
  });
  after(async () => {
    await browser?.close();
    await signet?.stop();
  });

  it('lets a signer fill a field, consent, sign and see the completed state', async (t) => {
    if (!hasTool('chromium')) return t.skip('apt-get install -y chromium');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
    const created = await api.post<{ id: string }>(
      '/api/v1/envelopes?send=true',
      envelopeJson(await makePdf(), {
        fields: [
          { recipient: 'sam@client.test', type: 'signature', page: 1, x: 50, y: 600, width: 150, height: 40 },
          { recipient: 'sam@client.test', type: 'text', page: 1, x: 50, y: 100, width: 200, height: 20 },
        ],
      }),
    );
    assert.equal(created.status, 201);
    const token = await latestTokenFor(api, 'sam@client.test');
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${signet.url}/sign/${token}`);
    await page.getByRole('heading', { name: 'Service agreement' }).waitFor();

    // Finishing without consent is refused with a visible, announced message.
    await page.getByRole('button', { name: 'Sign and finish' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(String(await page.getByRole('alert').textContent()), /consent/i);

    await page.getByLabel('Text on page 1 (required)').fill('PO-1234');
    await page.getByLabel('Type your full name to adopt it as your signature').fill('Sam Signer');
    await page.getByLabel(/legally binding/).check();
    // Set SIGNET_SCREENSHOT=/some/file.png to look at the page yourself.
    if (process.env.SIGNET_SCREENSHOT)
      await page.screenshot({ path: process.env.SIGNET_SCREENSHOT, fullPage: true });
    await page.getByRole('button', { name: 'Sign and finish' }).click();
    await page.getByText('You have completed your part.').waitFor();
    assert.deepEqual(errors, []);

    const sealed = await eventually(async () => {
      const e = await api.get<{
        status: string;
        seal: { state: string };
        fields: { type: string; value: unknown }[];
      }>(`/api/v1/envelopes/${created.body.id}`);
      return e.body.seal.state === 'done' ? e.body : undefined;
    }, 'seal');
    assert.equal(sealed.status, 'completed');
    assert.equal(sealed.fields.find((f) => f.type === 'text')?.value, 'PO-1234');

    await page.reload();
    await page.getByRole('link', { name: 'Download the signed document' }).waitFor();
  });

  it('asks for the access code and a one-time code before it shows the documents', async (t) => {
    if (!hasTool('chromium') || !browser) return t.skip('apt-get install -y chromium');
    const api = apiClient(signet.app, (await createTestOrganization(signet, 'Codes Ltd')).apiKey);
    const created = await api.post<{ id: string }>(
      '/api/v1/envelopes?send=true',
      envelopeJson(await makePdf(), {
        recipients: [
          {
            name: 'Cody Coder',
            email: 'cody@client.test',
            identity: [
              { kind: 'email' },
              { kind: 'accessCode', code: 'BLUE-42' },
              { kind: 'otp', channel: 'email' },
            ],
          },
        ],
        fields: [
          {
            recipient: 'cody@client.test',
            type: 'signature',
            page: 1,
            x: 50,
            y: 600,
            width: 150,
            height: 40,
          },
        ],
      }),
    );
    assert.equal(created.status, 201);
    const token = await latestTokenFor(api, 'cody@client.test');
    const page = await browser.newPage();
    await page.goto(`${signet.url}/sign/${token}`);
    await page.getByRole('heading', { name: 'Verify your identity' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Documents' }).count(), 0, 'no documents yet');

    await page.getByLabel('Enter the access code the sender gave you').fill('RED-1');
    await page.getByRole('button', { name: 'Verify' }).first().click();
    await page.getByRole('alert').waitFor();
    assert.match(String(await page.getByRole('alert').textContent()), /access code is not right/);
    await page.getByLabel('Enter the access code the sender gave you').fill('blue 42'.toUpperCase());
    await page.getByRole('button', { name: 'Verify' }).first().click();
    await page.getByText('Access code: verified').waitFor();

    await page.getByRole('button', { name: 'Send me a code' }).click();
    const code = await eventually(async () => {
      const mail = (await outboxMail(api)).find(
        (m) => m.to === 'cody@client.test' && m.kind === 'one-time-code',
      );
      return mail?.text ? /one-time code is (\d{6})/.exec(mail.text)?.[1] : undefined;
    }, 'the one-time code mail');
    await page.getByLabel('Enter the code').fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Documents' }).waitFor();
    await page.getByLabel(/legally binding/).check();
    await page.getByRole('button', { name: 'Sign and finish' }).click();
    await page.getByText('You have completed your part.').waitFor();
  });
});
