import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { hasTool, runTool } from '../peers/pdfValidators.ts';
import {
  type ApiClient,
  apiClient,
  envelopeJson,
  latestTokenFor,
  openEveryDocument,
} from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import { readPpm } from '../support/pixels.ts';
import { encodePng } from '../support/png.ts';
import {
  createTestOrganization,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/*
 * What a signer sees of an organisation's brand, looked at: a branded invitation rendered by
 * Chromium as a mail client would (phone and desktop widths), and the certificate of completion
 * rendered by pdftoppm. The pictures go to test-results/branding/ for a person to look at; the
 * assertions check what can be measured — the logo loads from its public URL, the button is
 * drawn in the brand's colour, the certificate page shows the logo's colour.
 */
const CHROMIUM = '/usr/bin/chromium';
const OUT = join(process.cwd(), 'test-results', 'branding');
const BRAND = '#0b5d3b';

/** A two-tone wordmark-like logo: a green block and a darker bar. */
const logoPng = () =>
  encodePng(240, 60, (x, y) =>
    x < 60 ? [11, 93, 59, 255] : y > 24 && y < 36 ? [30, 41, 59, 255] : [0, 0, 0, 0],
  );

describe('the brand as a signer sees it', () => {
  let signet: TestSignet;
  let admin: ApiClient;
  let browser: Browser | undefined;

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    signet = await startTestSignet('pglite');
    const organization = await createTestOrganization(signet, 'Acme Holdings Ltd');
    admin = apiClient(signet.app, organization.apiKey);
    const patched = await admin.patch('/api/v1/organization', {
      branding: { productName: 'Acme Sign', primaryColor: BRAND, replyTo: 'contracts@acme.test' },
    });
    assert.equal(patched.status, 200);
    const logo = await signet.app.inject({
      method: 'PUT',
      url: '/api/v1/organization/logo',
      headers: { authorization: admin.authorization, 'content-type': 'image/png' },
      payload: logoPng(),
    });
    assert.equal(logo.statusCode, 200, logo.body);
  });
  after(async () => {
    await browser?.close();
    await signet?.stop();
  });

  it('renders a branded invitation with the logo and a button in the brand’s colour', async (t) => {
    if (!hasTool('chromium')) return t.skip('apt-get install -y chromium');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    await admin.post('/api/v1/envelopes?send=true', {
      ...envelopeJson(await makePdf(), {
        title: 'Supply agreement 2025',
        message: 'Please sign by Friday — thank you!',
        recipients: [{ name: 'Ada Lovelace', email: 'ada@client.test' }],
        fields: [{ recipient: 'ada@client.test', type: 'signature', x: 50, y: 600, width: 150, height: 40 }],
      }),
    });
    const html = await eventually(async () => {
      const outbox = await admin.get<{ messages: { to: string; kind: string; html: string | null }[] }>(
        '/api/v1/outbox/mail',
      );
      return (
        outbox.body.messages.find((m) => m.to === 'ada@client.test' && m.kind === 'invitation')?.html ??
        undefined
      );
    }, 'the invitation');
    writeFileSync(join(OUT, 'invitation.html'), html);
    for (const [name, width] of [
      ['phone', 375],
      ['desktop', 1280],
    ] as const) {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      await page.setContent(html, { waitUntil: 'networkidle' });
      await page.getByRole('img', { name: 'Acme Sign' }).waitFor();
      await page.getByRole('link', { name: 'Review and sign' }).waitFor();
      // Measured in the page (this project compiles without the DOM's types, hence the string).
      const measured = (await page.evaluate(`(() => {
        const logo = document.querySelector('img[alt="Acme Sign"]');
        const button = [...document.querySelectorAll('a')].find((a) => a.textContent === 'Review and sign');
        return {
          logoWidth: logo.complete ? logo.naturalWidth : 0,
          background: getComputedStyle(button.parentElement).backgroundColor,
          color: getComputedStyle(button).color,
        };
      })()`)) as { logoWidth: number; background: string; color: string };
      assert.deepEqual(measured, {
        logoWidth: 240,
        background: 'rgb(11, 93, 59)',
        color: 'rgb(255, 255, 255)',
      });
      await page.screenshot({ path: join(OUT, `invitation-${name}.png`), fullPage: true });
      await page.close();
    }
  });

  it('renders the certificate of completion with the brand', async (t) => {
    if (!hasTool('pdftoppm')) return t.skip('apt-get install -y poppler-utils');
    const created = await admin.post<{ id: string }>('/api/v1/envelopes?send=true', {
      ...envelopeJson(await makePdf(), {
        title: 'Consulting agreement',
        recipients: [
          { name: 'Grace Hopper', email: 'grace@client.test' },
          { name: 'Carl Copy', email: 'carl@client.test', role: 'cc' },
        ],
        fields: [
          { recipient: 'grace@client.test', type: 'signature', x: 50, y: 600, width: 150, height: 40 },
        ],
      }),
    });
    const token = await latestTokenFor(admin, 'grace@client.test');
    await signet.app.inject({
      method: 'GET',
      url: `/api/v1/signing/${token}`,
      headers: {
        'user-agent':
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
      },
    });
    const signer = apiClient(signet.app);
    await openEveryDocument(signer, token);
    await signer.post(`/api/v1/signing/${token}/consent`);
    await signer.post(`/api/v1/signing/${token}/finish`, {
      signature: { kind: 'typed', text: 'Grace Hopper' },
    });
    await eventually(async () => {
      const envelope = await admin.get<{ seal: { state: string } }>(`/api/v1/envelopes/${created.body.id}`);
      return envelope.body.seal.state === 'done' ? true : undefined;
    }, 'the seal');
    const certificate = await admin.get(`/api/v1/envelopes/${created.body.id}/certificate`);
    const file = join(OUT, 'certificate.pdf');
    writeFileSync(file, certificate.raw);
    const rendered = await runTool('pdftoppm', ['-png', '-r', '80', file, join(OUT, 'certificate')]);
    assert.equal(rendered.exitCode, 0, rendered.stderr);
    // At 72 dpi a pixel is a point: the logo's green block is drawn 50 pt from the left, from
    // 54 pt below the top, 30 pt square.
    const ppm = join(OUT, 'certificate-72dpi');
    await runTool('pdftoppm', ['-r', '72', '-f', '1', '-l', '1', '-singlefile', file, ppm]);
    const pixels = readPpm(readFileSync(`${ppm}.ppm`));
    assert.deepEqual(pixels.at(65, 69), [11, 93, 59], 'the logo’s green block');
    assert.deepEqual(pixels.at(30, 69), [255, 255, 255], 'the margin beside it');
  });
});
