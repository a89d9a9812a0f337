import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { degrees, PDFDocument, rgb } from 'pdf-lib';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import { expireOverdueEnvelopes } from '../../src/envelopes/expiry.ts';
import { displayedToUser, normalizeRotation, visibleRect } from '../../src/pdf/composeGeometry.ts';
import { hasTool } from '../peers/pdfValidators.ts';
import { type ApiClient, apiClient, envelopeJson, latestTokenFor, outboxMail } from '../support/apiClient.ts';
import { ceremonyProgress, drawWithFinger, tabTo } from '../support/browserDriving.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import { makeSignaturePng } from '../support/png.ts';
import {
  createTestOrganization,
  eventually,
  freePort,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/*
 * The signing ceremony (web/src/sign) as people use it, in Debian's Chromium driven by
 * playwright-core: a signer on a phone with a finger, the next one on a desktop with the
 * keyboard alone, an integrator's page framing it, and every way a link can end. Screenshots
 * of each step at 375 and 1280 px land in test-results/ceremony/.
 */

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-results', 'ceremony');
const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 900 };

interface Envelope {
  id: string;
  recipients: { id: string; email: string; status: string }[];
  status: string;
  seal: { state: string };
}
interface AuditEvent {
  type: string;
  data: Record<string, unknown>;
}

/** The step as a phone and as a desktop show it. */
async function shoot(page: Page, step: string) {
  mkdirSync(SHOTS, { recursive: true });
  const original = page.viewportSize() ?? DESKTOP;
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    // Where the signer is, at this width too: the focused field or button, if any.
    const focused = page.locator(':focus');
    if ((await focused.count()) === 1) await focused.scrollIntoViewIfNeeded();
    await settle(page);
    await page.screenshot({ path: join(SHOTS, `${step}-${size.width}.png`) });
  }
  await page.setViewportSize(original);
  await settle(page);
}

/** What the page functions below use of a browser window (this tsconfig has no DOM library). */
interface AnimationFrames {
  requestAnimationFrame(callback: () => void): number;
}

/** Two animation frames: layout, resize observers and the pages they redraw have run. */
const settle = (page: Page | Frame) =>
  page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const frames = globalThis as unknown as AnimationFrames;
        frames.requestAnimationFrame(() => frames.requestAnimationFrame(resolve));
      }),
  );

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core on the screen as it is: no serious or critical violation of WCAG 2.1 A/AA. */
async function assertAccessible(page: Page, screen: string) {
  if (!(await page.evaluate('typeof axe !== "undefined"'))) await page.evaluate(AXE);
  const violations = (await page.evaluate(`axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((result) => result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`)) as string[];
  assert.deepEqual(violations, [], `${screen}: serious or critical accessibility violations`);
}

/** The guide above the documents: how many fields are left. */
const progress = ceremonyProgress;

describe('the signing ceremony in a real browser', () => {
  let signet: TestSignet;
  let browser: Browser | undefined;
  let api: ApiClient;
  let organizationId: string;
  const servers: Server[] = [];

  before(async () => {
    signet = await startTestSignet('pglite');
    const organization = await createTestOrganization(signet, 'Northwind Legal');
    organizationId = organization.organizationId;
    api = apiClient(signet.app, organization.apiKey);
    if (hasTool('chromium')) {
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
    }
  });
  after(async () => {
    await browser?.close();
    for (const server of servers) server.close();
    await signet?.stop();
  });

  const phone = () =>
    browser!.newContext({
      viewport: PHONE,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'en-GB',
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    });
  const desktop = (locale = 'en-GB') => browser!.newContext({ viewport: DESKTOP, locale });

  async function send(body: Record<string, unknown>): Promise<Envelope> {
    const created = await api.post<Envelope>('/api/v1/envelopes?send=true', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  }
  const audit = async (envelopeId: string) =>
    (await api.get<{ events: AuditEvent[] }>(`/api/v1/envelopes/${envelopeId}/audit`)).body.events;

  describe('two signers in turn', () => {
    let envelope: Envelope;
    const ada = 'ada@client.test';
    const ben = 'ben@client.test';

    before(async () => {
      envelope = await send(
        envelopeJson(await makePdf(), {
          title: 'Service agreement',
          message: 'Hi both, please sign by Friday.',
          recipients: [
            { name: 'Ada Lovelace', email: ada, role: 'signer', routingOrder: 1 },
            { name: 'Ben Okafor', email: ben, role: 'signer', routingOrder: 2 },
          ],
          documents: [
            {
              name: 'service-agreement.pdf',
              content: (await makePdf({ pages: 3, text: 'Service agreement' })).toString('base64'),
            },
            { name: 'annex.pdf', content: (await makePdf({ pages: 2, text: 'Annex' })).toString('base64') },
          ],
          fields: [
            { recipient: ada, type: 'text', page: 1, x: 50, y: 200, width: 200, height: 22, required: true },
            {
              recipient: ada,
              type: 'checkbox',
              page: 1,
              x: 50,
              y: 240,
              width: 18,
              height: 18,
              required: true,
            },
            { recipient: ada, type: 'initials', page: 1, x: 480, y: 770, width: 60, height: 30 },
            { recipient: ada, type: 'initials', page: 2, x: 480, y: 770, width: 60, height: 30 },
            { recipient: ada, type: 'signature', page: 3, x: 50, y: 600, width: 200, height: 50 },
            { recipient: ada, type: 'dateSigned', page: 3, x: 300, y: 620, width: 120, height: 20 },
            { recipient: ben, type: 'signature', page: 3, x: 300, y: 680, width: 200, height: 50 },
            {
              recipient: ben,
              type: 'text',
              document: 1,
              page: 1,
              x: 50,
              y: 300,
              width: 220,
              height: 22,
              required: true,
            },
          ],
        }),
      );
    });

    it('lets a signer on a 375 px touch screen initial, draw a signature with a finger and finish; a reload loses nothing', async (t) => {
      if (!browser) return t.skip('apt-get install -y chromium');
      const context = await phone();
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${signet.url}/sign/${await latestTokenFor(api, ada)}`);

      await page.getByRole('heading', { name: 'Service agreement' }).waitFor();
      await page.getByText('Northwind Legal asks you to review and sign 2 documents').waitFor();
      await shoot(page, '01-consent');
      await assertAccessible(page, 'consent');
      await page.getByRole('button', { name: 'Agree and continue' }).tap();
      await page.getByRole('alert').filter({ hasText: 'Tick the box' }).waitFor();
      await page.getByLabel(/legally binding/).tap();
      await page.getByRole('button', { name: 'Agree and continue' }).tap();

      await progress(page).getByText('5 fields left').waitFor();
      await page.locator('canvas[data-rendered]').first().waitFor();
      await shoot(page, '02-review');
      await assertAccessible(page, 'documents and fields');

      await page.getByLabel('Text 1 of 1, page 1 (required)').fill('PO-4711');
      await page.getByLabel('Checkbox 1 of 1, page 1 (required)').tap();
      await page.getByRole('button', { name: /^Initials 1 of 2/ }).tap();
      await page.getByRole('dialog', { name: 'Adopt your initials' }).waitFor();
      assert.equal(await page.getByLabel('Your initials', { exact: true }).inputValue(), 'AL');
      await shoot(page, '03-adopt-initials-typed');
      await assertAccessible(page, 'adopting initials');
      await page.getByRole('button', { name: 'Adopt and initial' }).tap();
      await progress(page).getByText('1 field left').waitFor();
      assert.equal(
        await page.getByRole('button', { name: /^Initials \d of 2, .*initialled/ }).count(),
        2,
        'the initials went into every initials field at once',
      );

      // Everything entered so far survives a reload.
      await page.reload();
      await progress(page).getByText('1 field left').waitFor();
      assert.equal(await page.getByLabel('Text 1 of 1, page 1 (required)').inputValue(), 'PO-4711');
      assert.equal(await page.getByLabel('Checkbox 1 of 1, page 1 (required)').isChecked(), true);
      assert.equal(await page.getByRole('button', { name: /initialled/ }).count(), 2);

      await page.getByRole('button', { name: 'Next field' }).tap();
      const signatureField = page.getByRole('button', { name: /^Signature 1 of 1/ });
      await signatureField.tap();
      const dialog = page.getByRole('dialog', { name: 'Adopt your signature' });
      await dialog.waitFor();
      await dialog.getByText('Draw', { exact: true }).tap();
      const canvas = dialog.locator('canvas.draw-canvas');
      await canvas.waitFor();
      await drawWithFinger(context, page, canvas);
      await dialog.getByRole('img', { name: 'Drawing area, with your drawing' }).waitFor();
      await shoot(page, '04-adopt-signature-drawn');
      await dialog.getByRole('button', { name: 'Adopt and sign' }).tap();
      await page.getByRole('button', { name: /^Signature 1 of 1, .*signed/ }).waitFor();

      // The annex has no fields for Ada, but she must see it before finishing: until it has come
      // into view, Finish takes her there instead.
      if (!(await progress(page).getByText('Everything is filled in').isVisible())) {
        await progress(page).getByText('Scroll through 1 more document').waitFor();
        await page.getByRole('button', { name: 'Finish', exact: true }).tap();
        await progress(page).getByText('Everything is filled in').waitFor();
      }
      await shoot(page, '05-ready-to-finish');
      await page.getByRole('button', { name: 'Finish', exact: true }).tap();
      await page.getByRole('heading', { name: 'You have signed' }).waitFor();
      await page.getByText('Others still have to sign').waitFor();
      await shoot(page, '06-done-waiting-for-others');
      await assertAccessible(page, 'done');
      assert.deepEqual(errors, []);

      const events = await audit(envelope.id);
      const viewed = events.filter((e) => e.type === 'document.viewed').map((e) => e.data.documentName);
      assert.deepEqual(viewed.sort(), ['annex.pdf', 'service-agreement.pdf']);
      const signed = events.find((e) => e.type === 'recipient.signed');
      assert.ok(signed, 'Ada signed');
      const { signature, initials } = signed.data as {
        signature: { kind: string };
        initials: { kind: string; text: string };
      };
      assert.deepEqual([signature.kind, initials.kind, initials.text], ['drawn', 'typed', 'AL']);
      await context.close();
    });

    it('lets the next signer finish on a desktop with the keyboard alone, with the focus always visible', async (t) => {
      if (!browser) return t.skip('apt-get install -y chromium');
      const context = await desktop();
      const page = await context.newPage();
      await page.goto(`${signet.url}/sign/${await latestTokenFor(api, ben)}`);
      await page.getByRole('heading', { name: 'Service agreement' }).waitFor();

      await tabTo(page, page.getByLabel(/legally binding/));
      await page.keyboard.press('Space');
      await tabTo(page, page.getByRole('button', { name: 'Agree and continue' }));
      const focusRing = await page
        .locator(':focus')
        .evaluate((element) => element.ownerDocument.defaultView!.getComputedStyle(element).outlineStyle);
      assert.notEqual(focusRing, 'none', 'the focused control shows a focus ring');
      await page.keyboard.press('Enter');

      await progress(page).getByText('2 fields left').waitFor();
      await tabTo(page, page.getByRole('button', { name: 'Next field' }));
      await page.keyboard.press('Enter');
      const signature = page.getByRole('button', { name: /^Signature 1 of 1/ });
      await page.waitForFunction(
        `document.activeElement?.getAttribute('aria-label')?.startsWith('Signature')`,
      );
      await shoot(page, '07-keyboard-next-field');
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Adopt your signature' });
      await dialog.waitFor();
      await tabTo(page, dialog.getByLabel('Your full name', { exact: true }));
      assert.equal(await dialog.getByLabel('Your full name', { exact: true }).inputValue(), 'Ben Okafor');
      await tabTo(page, dialog.getByRole('radio', { name: /Dancing Script/ }));
      await page.keyboard.press('ArrowDown'); // Caveat
      assert.equal(await dialog.getByRole('radio', { name: /Caveat/ }).isChecked(), true);
      await shoot(page, '08-adopt-signature-typed');
      await tabTo(page, dialog.getByRole('button', { name: 'Adopt and sign' }));
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'detached' });
      await page.locator(':focus[aria-label*="signed"]').waitFor();
      assert.match(String(await signature.getAttribute('aria-label')), /signed/);

      // On to the annex's text field, the next field in reading order.
      await tabTo(page, page.getByLabel('Text 1 of 1, page 1 (required)'));
      await page.keyboard.type('Ref 9');
      await tabTo(page, page.getByRole('button', { name: 'Finish', exact: true }));
      await progress(page).getByText('Everything is filled in').waitFor();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'You have signed' }).waitFor();
      // The last signature completes the envelope; the sealed copy follows within seconds.
      await page.getByRole('link', { name: 'Download the signed document' }).waitFor({ timeout: 60_000 });
      await shoot(page, '09-done-download');

      const download = await page.evaluate(
        async (href) => {
          const response = await fetch(href);
          return {
            status: response.status,
            head: new TextDecoder().decode((await response.arrayBuffer()).slice(0, 5)),
          };
        },
        (await page.getByRole('link', { name: 'Download the signed document' }).getAttribute('href')) ?? '',
      );
      assert.deepEqual(download, { status: 200, head: '%PDF-' });
      const signed = (await audit(envelope.id)).filter((e) => e.type === 'recipient.signed');
      assert.equal((signed[1]!.data.signature as { kind: string }).kind, 'typed');
      await context.close();
    });
  });

  it('places every field exactly where the sender put it, on rotated and cropped pages', async (t) => {
    if (!browser) return t.skip('apt-get install -y chromium');
    // Each page carries a red box drawn where the server stamps the field (its own geometry
    // code); the ceremony must overlay the field on that red box.
    const { pdf, boxes } = await awkwardPagesWithMarkers();
    const email = 'geo@client.test';
    const created = await send(
      envelopeJson(pdf, {
        title: 'Awkward pages',
        recipients: [{ name: 'Geo Meter', email }],
        fields: [
          ...boxes.map((box) => ({ recipient: email, type: 'text', required: false, ...box })),
          { recipient: email, type: 'signature', page: 1, x: 300, y: 600, width: 180, height: 40 },
        ],
      }),
    );
    assert.ok(created.id);
    const context = await desktop();
    const page = await context.newPage();
    await page.goto(`${signet.url}/sign/${await latestTokenFor(api, email)}`);
    await page.getByLabel(/legally binding/).check();
    await page.getByRole('button', { name: 'Agree and continue' }).click();
    for (const [index, box] of boxes.entries()) {
      const field = page.getByLabel(`Text ${index + 1} of ${boxes.length}, page ${box.page} (optional)`);
      await field.scrollIntoViewIfNeeded();
      const pageItem = page.locator(`li.page[data-page="${box.page}"]`);
      await pageItem.locator('canvas[data-rendered]').waitFor();
      const own = await field.boundingBox();
      assert.ok(own);
      const inset = 3;
      const middle = { x: own.x + own.width / 2, y: own.y + own.height / 2 };
      const right = own.x + own.width;
      const bottom = own.y + own.height;
      const points = [
        [middle.x, middle.y],
        [own.x + inset, own.y + inset],
        [right - inset, own.y + inset],
        [own.x + inset, bottom - inset],
        [right - inset, bottom - inset],
        [own.x - inset, middle.y],
        [right + inset, middle.y],
        [middle.x, own.y - inset],
        [middle.x, bottom + inset],
      ];
      // The page as pdf.js drew it, read from its canvas under each point.
      const colours = await pageItem.locator('canvas').evaluate((canvas, at: number[][]) => {
        const rect = canvas.getBoundingClientRect();
        const context = canvas.getContext('2d')!;
        return at.map(([x = 0, y = 0]) =>
          Array.from(
            context
              .getImageData(
                Math.round(((x - rect.left) / rect.width) * canvas.width),
                Math.round(((y - rect.top) / rect.height) * canvas.height),
                1,
                1,
              )
              .data.slice(0, 3),
          ),
        );
      }, points);
      const rgbs = colours as number[][];
      const samples = { centre: rgbs[0]!, corners: rgbs.slice(1, 5), outside: rgbs.slice(5) };
      const red = ([r = 0, g = 0, b = 0]: number[]) => r > 200 && g < 90 && b < 90;
      const white = ([r = 0, g = 0, b = 0]: number[]) => r > 230 && g > 230 && b > 230;
      assert.ok(red(samples.centre), `page ${box.page}: the red box is under the field (${samples.centre})`);
      assert.ok(
        samples.corners.every(red),
        `page ${box.page}: every corner of the field is on it (${samples.corners.join(' ')})`,
      );
      assert.ok(
        samples.outside.every(white),
        `page ${box.page}: and the box ends where the field ends (${samples.outside.join(' ')})`,
      );
    }
    await page.locator('li.page[data-page="2"]').scrollIntoViewIfNeeded();
    await shoot(page, '10-rotated-page-fields');
    await context.close();
  });

  it('opens a 200-page document on a phone, drawing only the pages near the viewport', async (t) => {
    if (!browser) return t.skip('apt-get install -y chromium');
    const email = 'long@client.test';
    const long = await send(
      envelopeJson(await makePdf({ pages: 200, text: 'Master agreement' }), {
        title: 'Master agreement',
        recipients: [{ name: 'Lena Long', email }],
        fields: [{ recipient: email, type: 'signature', page: 200, x: 50, y: 600, width: 180, height: 40 }],
      }),
    );
    const context = await phone();
    const page = await context.newPage();
    await page.goto(`${signet.url}/sign/${await latestTokenFor(api, email)}`);
    await page.getByLabel(/legally binding/).tap();
    await page.getByRole('button', { name: 'Agree and continue' }).tap();
    await page.locator('canvas[data-rendered]').first().waitFor();
    assert.equal(await page.locator('li.page').count(), 200, 'every page has its place');
    const drawn = () => page.locator('canvas.page-canvas').count();
    assert.ok((await drawn()) <= 8, `only the first pages are drawn (${await drawn()})`);

    await page.getByRole('button', { name: 'Next field' }).tap();
    await page.locator('li.page[data-page="200"] canvas[data-rendered]').waitFor({ timeout: 30_000 });
    await eventually(
      async () => ((await drawn()) <= 8 ? true : undefined),
      'canvases of pages left behind released',
    );
    await shoot(page, '11-page-200-of-200');

    // She signs with a picture of her signature.
    await page.getByRole('button', { name: /^Signature 1 of 1/ }).tap();
    const dialog = page.getByRole('dialog', { name: 'Adopt your signature' });
    await dialog.getByText('Upload', { exact: true }).tap();
    await dialog
      .getByLabel('A picture of your signature (PNG, JPEG, WebP or GIF)')
      .setInputFiles({ name: 'signature.png', mimeType: 'image/png', buffer: makeSignaturePng(240, 80) });
    await dialog.getByRole('img', { name: 'The picture you chose' }).waitFor();
    await shoot(page, '11b-adopt-signature-uploaded');
    await dialog.getByRole('button', { name: 'Adopt and sign' }).tap();
    await page.getByRole('button', { name: 'Finish', exact: true }).tap();
    await page.getByRole('heading', { name: 'You have signed' }).waitFor();
    const signed = (await audit(long.id)).find((e) => e.type === 'recipient.signed');
    assert.equal((signed?.data.signature as { kind?: string } | undefined)?.kind, 'uploaded');
    await context.close();
  });

  it('asks for the access code and a one-time code before it shows the documents', async (t) => {
    if (!browser) return t.skip('apt-get install -y chromium');
    const email = 'cody@client.test';
    await send(
      envelopeJson(await makePdf(), {
        title: 'Confidential terms',
        recipients: [
          {
            name: 'Cody Coder',
            email,
            identity: [
              { kind: 'email' },
              { kind: 'accessCode', code: 'BLUE-42' },
              { kind: 'otp', channel: 'email' },
            ],
          },
        ],
        fields: [{ recipient: email, type: 'signature', page: 1, x: 50, y: 600, width: 150, height: 40 }],
      }),
    );
    const context = await desktop();
    const page = await context.newPage();
    await page.goto(`${signet.url}/sign/${await latestTokenFor(api, email)}`);
    await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    assert.equal(await page.locator('li.page').count(), 0, 'no document before the checks');
    await shoot(page, '12-identity');
    await assertAccessible(page, 'identity checks');

    await page.getByLabel('Enter the access code the sender gave you').fill('RED-1');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'access code is not right' }).waitFor();
    await page.getByLabel('Enter the access code the sender gave you').fill('BLUE-42');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Access code: confirmed').waitFor();

    await page.getByRole('button', { name: 'Send me a code' }).click();
    const code = await eventually(async () => {
      const mail = (await outboxMail(api)).find((m) => m.to === email && m.kind === 'one-time-code');
      return mail?.text ? /one-time code is (\d{6})/.exec(mail.text)?.[1] : undefined;
    }, 'the one-time code mail');
    await page.getByLabel('Enter the code').fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Agree to do this electronically' }).waitFor();
    await context.close();
  });

  it('gives approvers Approve, and says why a link can no longer be used and what to do next', async (t) => {
    if (!browser) return t.skip('apt-get install -y chromium');
    const context = await desktop('de-DE');
    const page = await context.newPage();

    // An approver approves, in German (the browser's language), switching to English.
    const approver = 'olga@client.test';
    await send(
      envelopeJson(await makePdf(), {
        title: 'Budget 2027',
        recipients: [{ name: 'Olga Approver', email: approver, role: 'approver' }],
        fields: [],
      }),
    );
    await page.goto(`${signet.url}/sign/${await latestTokenFor(api, approver)}`);
    await page.getByRole('button', { name: 'Zustimmen und weiter' }).waitFor();
    await shoot(page, '13-consent-german');
    await page.getByLabel('Sprache').selectOption('en');
    await page.getByLabel(/legally binding/).check();
    await page.getByRole('button', { name: 'Agree and continue' }).click();
    await page.locator('canvas[data-rendered]').first().waitFor();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'You have approved' }).waitFor();

    // Declined by the signer, with a reason (a Radix dialog).
    const decliner = 'dan@client.test';
    await send(
      envelopeJson(await makePdf(), {
        title: 'Old lease',
        recipients: [{ name: 'Dan Decliner', email: decliner }],
        fields: [{ recipient: decliner, type: 'signature', page: 1, x: 50, y: 600, width: 180, height: 40 }],
      }),
    );
    await page.goto(`${signet.url}/sign/${await latestTokenFor(api, decliner)}`);
    await page.getByLabel(/legally binding/).check();
    await page.getByRole('button', { name: 'Agree and continue' }).click();
    await page.getByRole('button', { name: 'Decline' }).click();
    const dialog = page.getByRole('dialog', { name: 'Decline to sign' });
    await dialog.getByRole('button', { name: 'Decline' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'why you decline' }).waitFor();
    await dialog.getByLabel('Why are you declining?').fill('The rent is wrong.');
    await shoot(page, '14-decline-dialog');
    await assertAccessible(page, 'declining');
    await dialog.getByRole('button', { name: 'Decline' }).click();
    await page.getByRole('heading', { name: 'You declined to sign' }).waitFor();
    await shoot(page, '15-declined');

    // An unknown link, a withdrawn (voided) one and an expired one.
    await page.goto(`${signet.url}/sign/${'x'.repeat(43)}`);
    await page.getByRole('heading', { name: 'This link does not work' }).waitFor();
    await shoot(page, '16-unknown-link');
    await assertAccessible(page, 'an unknown link');

    const voided = await send(
      envelopeJson(await makePdf(), {
        title: 'Withdrawn',
        recipients: [{ name: 'Vic Void', email: 'vic@client.test', role: 'viewer' }],
        fields: [],
      }),
    );
    const voidedToken = await latestTokenFor(api, 'vic@client.test');
    assert.equal(
      (await api.post(`/api/v1/envelopes/${voided.id}/void`, { reason: 'Wrong terms' })).status,
      200,
    );
    await page.goto(`${signet.url}/sign/${voidedToken}`);
    await page.getByRole('heading', { name: 'This link was withdrawn' }).waitFor();
    await shoot(page, '17-withdrawn-link');

    const late = await send(
      envelopeJson(await makePdf(), {
        title: 'Late',
        recipients: [{ name: 'Lou Late', email: 'lou@client.test', role: 'viewer' }],
        fields: [],
      }),
    );
    const lateToken = await latestTokenFor(api, 'lou@client.test');
    await signet.platform.db.query(
      `update envelopes set expires_at = now() - interval '1 minute' where id = $1`,
      [late.id],
    );
    await signet.platform.db.query(
      `update signing_tokens set expires_at = now() - interval '1 minute' where envelope_id = $1`,
      [late.id],
    );
    await expireOverdueEnvelopes(signet.platform);
    await page.goto(`${signet.url}/sign/${lateToken}`);
    await page.getByRole('heading', { name: 'This link has expired' }).waitFor();
    await shoot(page, '18-expired-link');
    await context.close();
  });

  describe('embedded in an integrator’s page', () => {
    let allowed: string;
    let other: string;

    /** A page on another origin that frames `src` and keeps every message it receives. */
    async function integratorPage(): Promise<string> {
      const port = await freePort();
      const server = createServer((request, response) => {
        const src = new URL(request.url ?? '/', 'http://localhost').searchParams.get('src') ?? '';
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(`<!doctype html><html><head><title>Integrator</title></head><body>
<h1>Acme portal</h1>
<iframe id="signet" title="Sign" src="${src.replace(/"/g, '&quot;')}" style="width:100%;height:820px;border:1px solid #999"></iframe>
<script>window.received = []; addEventListener('message', (e) => window.received.push({ origin: e.origin, data: e.data }));</script>
</body></html>`);
      });
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      servers.push(server);
      return `http://localhost:${port}`;
    }

    before(async () => {
      allowed = await integratorPage();
      other = await integratorPage();
      const set = await api.put<{ origins: string[] }>('/api/v1/organization/embedding-origins', {
        origins: [allowed],
      });
      assert.deepEqual(set.body.origins, [allowed]);
      assert.ok(organizationId);
    });

    async function embeddedUrl(email: string, name: string, returnUrl?: string) {
      const created = await send(
        envelopeJson(await makePdf(), {
          title: `Order for ${name}`,
          recipients: [{ name, email }],
          fields: [{ recipient: email, type: 'signature', page: 1, x: 50, y: 600, width: 180, height: 40 }],
        }),
      );
      const link = await api.post<{ url: string }>(
        `/api/v1/envelopes/${created.id}/recipients/${created.recipients[0]!.id}/signing-url`,
        returnUrl ? { returnUrl } : {},
      );
      assert.equal(link.status, 200, JSON.stringify(link.body));
      return { envelope: created, url: link.body.url };
    }

    const received = (page: Page) =>
      page.evaluate(
        () => (globalThis as unknown as { received: { origin: string; data: { type: string } }[] }).received,
      );

    it('posts signet:loaded and signet:signed to the framing page, offers the way back, and signet:declined and signet:error too', async (t) => {
      if (!browser) return t.skip('apt-get install -y chromium');
      const context = await desktop();
      const page = await context.newPage();
      const { url } = await embeddedUrl('emma@client.test', 'Emma Embed', `${allowed}/orders/42`);
      await page.goto(`${allowed}/?src=${encodeURIComponent(url)}`);
      const frame = page.frameLocator('#signet');
      await frame.getByRole('heading', { name: 'Order for Emma Embed' }).waitFor();
      await eventually(async () => ((await received(page)).length > 0 ? true : undefined), 'signet:loaded');
      await shoot(page, '19-embedded-consent');
      await frame.getByLabel(/legally binding/).check();
      await frame.getByRole('button', { name: 'Agree and continue' }).click();
      await frame.getByRole('button', { name: /^Signature 1 of 1/ }).click();
      await frame.getByRole('button', { name: 'Adopt and sign' }).click();
      await frame.getByRole('button', { name: 'Finish', exact: true }).click();
      await frame.getByRole('heading', { name: 'You have signed' }).waitFor();
      const back = frame.getByRole('link', { name: `Return to ${new URL(allowed).host}` });
      assert.equal(await back.getAttribute('href'), `${allowed}/orders/42`);
      assert.equal(await back.getAttribute('target'), '_top');
      await shoot(page, '20-embedded-done');
      const signetOrigin = new URL(signet.url).origin;
      const events = await eventually(async () => {
        const all = await received(page);
        return all.some((m) => m.data.type === 'signet:signed') ? all : undefined;
      }, 'signet:signed');
      assert.deepEqual(
        events.map((m) => [m.origin, m.data.type]),
        [
          [signetOrigin, 'signet:loaded'],
          [signetOrigin, 'signet:signed'],
        ],
      );
      assert.ok(!JSON.stringify(events).includes(url.split('/').pop()!), 'no message carries the link token');

      const declined = await embeddedUrl('dora@client.test', 'Dora Decline');
      await page.goto(`${allowed}/?src=${encodeURIComponent(declined.url)}`);
      await frame.getByLabel(/legally binding/).check();
      await frame.getByRole('button', { name: 'Agree and continue' }).click();
      await frame.getByRole('button', { name: 'Decline' }).click();
      await frame.getByLabel('Why are you declining?').fill('Not my order');
      await frame.getByRole('dialog').getByRole('button', { name: 'Decline' }).click();
      await eventually(
        async () =>
          (await received(page)).some((m) => m.data.type === 'signet:declined') ? true : undefined,
        'signet:declined',
      );

      const withdrawn = await embeddedUrl('wes@client.test', 'Wes Withdrawn');
      await api.post(`/api/v1/envelopes/${withdrawn.envelope.id}/void`, { reason: 'Cancelled order' });
      await page.goto(`${allowed}/?src=${encodeURIComponent(withdrawn.url)}`);
      await frame.getByRole('heading', { name: 'This link was withdrawn' }).waitFor();
      const error = await eventually(
        async () => (await received(page)).find((m) => m.data.type === 'signet:error'),
        'signet:error',
      );
      assert.deepEqual(
        [error.origin, (error.data as { code?: string }).code],
        [signetOrigin, 'SIGNING_LINK_REVOKED'],
      );
      await context.close();
    });

    it('cannot be framed by an origin the organisation did not allow', async (t) => {
      if (!browser) return t.skip('apt-get install -y chromium');
      const context = await desktop();
      const page = await context.newPage();
      const refusals: string[] = [];
      page.on('console', (message) => {
        if (/frame-ancestors/.test(message.text())) refusals.push(message.text());
      });
      const { url } = await embeddedUrl('otto@client.test', 'Otto Other');
      await page.goto(`${other}/?src=${encodeURIComponent(url)}`);
      await eventually(
        async () => (refusals.length > 0 ? true : undefined),
        'the browser refusing the frame',
      );
      assert.match(refusals[0]!, new RegExp(`frame-ancestors ${allowed.replace(/[.:/]/g, '\\$&')}`));
      const frame = page.frames().find((f) => f !== page.mainFrame());
      assert.ok(frame);
      assert.equal(
        await frame.getByText('Order for Otto Other').count(),
        0,
        'the ceremony is not shown inside',
      );
      assert.deepEqual(await received(page), [], 'and nothing is posted to that page');
      await shoot(page, '21-embedded-refused');
      await context.close();
    });
  });
});

/**
 * Four pages whose displayed geometry differs from their media box — upright A4, Letter turned
 * 90°, a crop box away from the origin, the same turned 270° — each with a red box drawn where a
 * field placed at `box` (displayed coordinates) lands, computed with the server's own geometry.
 */
async function awkwardPagesWithMarkers() {
  const doc = await PDFDocument.create();
  const specs = [
    { media: [595.28, 841.89], crop: undefined, rotation: 0, box: { x: 60, y: 90, width: 160, height: 30 } },
    { media: [612, 792], crop: undefined, rotation: 90, box: { x: 500, y: 60, width: 180, height: 32 } },
    {
      media: [700, 900],
      crop: [100, 150, 400, 500],
      rotation: 0,
      box: { x: 30, y: 400, width: 150, height: 28 },
    },
    {
      media: [700, 900],
      crop: [100, 150, 400, 500],
      rotation: 270,
      box: { x: 280, y: 40, width: 170, height: 30 },
    },
  ] as const;
  const boxes = specs.map((spec, index) => {
    const page = doc.addPage([spec.media[0], spec.media[1]]);
    if (spec.crop) page.setCropBox(...spec.crop);
    page.setRotation(degrees(spec.rotation));
    const visible = visibleRect(
      { x: 0, y: 0, width: spec.media[0], height: spec.media[1] },
      spec.crop ? { x: spec.crop[0], y: spec.crop[1], width: spec.crop[2], height: spec.crop[3] } : undefined,
    );
    const rotation = normalizeRotation(spec.rotation);
    const a = displayedToUser({ x: spec.box.x, y: spec.box.y }, visible, rotation);
    const b = displayedToUser(
      { x: spec.box.x + spec.box.width, y: spec.box.y + spec.box.height },
      visible,
      rotation,
    );
    page.drawRectangle({
      x: Math.min(a.x, b.x),
      y: Math.min(a.y, b.y),
      width: Math.abs(a.x - b.x),
      height: Math.abs(a.y - b.y),
      color: rgb(1, 0, 0),
    });
    return { page: index + 1, ...spec.box };
  });
  return { pdf: Buffer.from(await doc.save()), boxes };
}
