import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { degrees, PDFDocument, rgb, StandardFonts } from 'pdf-lib';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createOrganization } from '../../src/orgs/organizations.ts';
import { displayedToUser, normalizeRotation, visibleRect } from '../../src/pdf/composeGeometry.ts';
import { hasTool } from '../peers/pdfValidators.ts';
import { apiClient, envelopeJson, latestTokenFor, openEveryDocument } from '../support/apiClient.ts';
import { choosePdf as choosePdfIn, dragFromPalette } from '../support/browserDriving.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import { inkBox, readPpm } from '../support/pixels.ts';
import { solidPng } from '../support/png.ts';
import { eventually, startTestSignet, type TestSignet } from '../support/signetHarness.ts';

/*
 * The sender workspace in Debian's Chromium, driven as a person would: sign in with the
 * password the organisation was created with (a browser session: the cookie and its CSRF
 * token), upload a PDF, add two recipients in routing order, drag fields onto the page drawn by
 * pdf.js, send — and the API holds what the screen showed. A second case finds a mark on a
 * rotated page and on a cropped one by its pixels, drops a field on it, and maps the stored box
 * back through the server's own geometry: it must land on the mark.
 */

const CHROMIUM = '/usr/bin/chromium';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's serious and critical findings on the page as it is now, WCAG 2.1 A and AA. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(`axe
    .run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })
    .then((result) => result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`);
}

interface Stored {
  id: string;
  status: string;
  recipients: { id: string; name: string; email: string; routingOrder: number; status: string }[];
  fields: {
    recipientId: string;
    type: string;
    page: number;
    x: number;
    y: number;
    width: number;
    height: number;
  }[];
}

/** In the page: WebAuthn creation options (JSON) → navigator.credentials.create → the response as JSON. */
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

/** What the test reads of a canvas in the page (the root tsconfig has no DOM library). */
interface PageCanvas {
  width: number;
  height: number;
  clientWidth: number;
  getContext(kind: '2d'): {
    getImageData(
      x: number,
      y: number,
      w: number,
      h: number,
    ): { data: Uint8ClampedArray; width: number; height: number };
  } | null;
}

describe('the sender workspace in a real browser', () => {
  let signet: TestSignet;
  let browser: Browser | undefined;
  let files: string;

  before(async () => {
    // localhost, not 127.0.0.1: WebAuthn refuses an IP address as the relying party's id.
    signet = await startTestSignet('pglite', {}, 'localhost');
    files = mkdtempSync(join(tmpdir(), 'signet-workspace-'));
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
    await signet?.stop();
    rmSync(files, { recursive: true, force: true });
  });

  /** A fresh organisation, its admin signed in on a desktop-sized page; the page's errors are collected. */
  async function signedIn(name: string) {
    assert.ok(browser);
    const org = await createOrganization(signet.platform.db, {
      name,
      adminEmail: `owner@${name.toLowerCase().replace(/\W/g, '')}.test`,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    // axe-core in every page, put there by the browser (the app's CSP allows no injected script).
    await context.addInitScript({ path: AXE });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${signet.platform.config.publicUrl}/app/envelopes`);
    // Not signed in: the workspace sends the person to sign in, and back here after.
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.deepEqual(await accessibilityProblems(page), [], 'the sign-in page');
    await page.getByLabel('Email address').fill(org.adminEmail);
    await page.getByLabel('Password').fill(org.adminPassword);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const list = page.getByRole('heading', { name: 'Envelopes' });
    await list.or(page.getByRole('alert')).waitFor();
    // A server that answers the sign-in but sets no session cookie is told apart at once.
    if (!(await list.isVisible()))
      assert.fail(`not signed in: ${await page.getByRole('alert').textContent()}`);
    assert.match(page.url(), /\/app\/envelopes$/);
    const cookies = await context.cookies();
    assert.ok(
      cookies.some((c) => c.name === 'signet_session' && c.httpOnly),
      'the session is an HttpOnly cookie',
    );
    return { page, errors, api: apiClient(signet.app, org.apiKey) };
  }

  it('signs in with a passkey alone', async (t) => {
    if (!browser) return t.skip('apt-get install -y chromium');
    const org = await createOrganization(signet.platform.db, {
      name: 'Keys Ltd',
      adminEmail: 'kim@keys.test',
    });
    const context = await browser.newContext({
      viewport: { width: 375, height: 812 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // Chromium's virtual authenticator (CTAP2, a discoverable credential, user verification on).
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
    // Kim registers a passkey through the API (the workspace's enrolment page is another's work).
    const token = (
      await apiClient(signet.app).post<{ token: string }>('/api/v1/auth/sign-in', {
        email: org.adminEmail,
        password: org.adminPassword,
      })
    ).body.token;
    const session = apiClient(signet.app, token);
    const registration = await session.post<{ challengeId: string; options: Record<string, unknown> }>(
      '/api/v1/auth/passkeys/registration-options',
    );
    await page.goto(`${signet.platform.config.publicUrl}/login`);
    const created = await page.evaluate(`(${CREATE})(${JSON.stringify(registration.body.options)})`);
    const registered = await session.post('/api/v1/auth/passkeys', {
      challengeId: registration.body.challengeId,
      response: created,
    });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));

    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('heading', { name: 'Envelopes' }).waitFor();
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.deepEqual(errors, []);
  });

  const choosePdf = (page: Page, name: string, bytes: Uint8Array) => choosePdfIn(page, files, name, bytes);

  it('signs in, creates an envelope with two recipients in routing order and dragged fields, and sends it', async (t) => {
    if (!browser) return t.skip('apt-get install -y chromium');
    const { page, errors, api } = await signedIn('Lovelace Ltd');
    const inaccessible: string[] = [];
    const checkAccessibility = async (screen: string) => {
      for (const problem of await accessibilityProblems(page)) inaccessible.push(`${screen}: ${problem}`);
    };
    await checkAccessibility('the empty envelope list');

    await page.getByRole('link', { name: 'New envelope' }).first().click();
    await page.getByRole('heading', { name: 'Documents' }).waitFor();
    await choosePdf(page, 'agreement.pdf', await makePdf({ pages: 2, text: 'Consulting agreement' }));
    await page.getByLabel('Title').fill('Consulting agreement');
    await checkAccessibility('documents');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('Email address').fill('ada@example.com');
    await page.getByRole('button', { name: 'Add a recipient' }).click();
    await page.getByLabel('Name').nth(1).fill('Charles Babbage');
    await page.getByLabel('Email address').nth(1).fill('charles@example.com');
    assert.equal(
      await page.getByLabel('Routing order').nth(1).inputValue(),
      '2',
      'the next one waits for the first',
    );
    await page.getByText('Identity checks').first().click();
    await checkAccessibility('recipients');
    await page.getByRole('button', { name: 'Next' }).click();

    // Ada's signature dragged onto page 1; Charles's too, lower down; then Charles's date by keyboard.
    const firstPage = page.getByRole('figure', { name: 'agreement.pdf, page 1 of 2' });
    await firstPage.locator('canvas').waitFor();
    const box = await firstPage.boundingBox();
    assert.ok(box);
    await dragFromPalette(page, 'Signature', box.x + box.width * 0.3, box.y + 300);
    await page.getByRole('radio', { name: 'Charles Babbage' }).check();
    await dragFromPalette(page, 'Signature', box.x + box.width * 0.6, box.y + 500);
    await page.getByRole('button', { name: 'Add a Date signed field' }).press('Enter');
    const date = page.getByRole('button', { name: /^Date signed for Charles Babbage, page 1/ });
    await date.waitFor();
    assert.equal(
      await date.evaluate(
        (element) =>
          element ===
          (element as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement,
      ),
      true,
      'the new field has focus',
    );
    const placed = await api.get<{ data: unknown[] }>('/api/v1/envelopes');
    assert.equal(placed.body.data.length, 0, 'nothing is stored before sending');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight'); // 5 × 2 pt
    await page.keyboard.press('Shift+ArrowDown'); // 2 pt taller
    await page.getByText('3 fields placed').waitFor();
    await checkAccessibility('fields');

    // Delete removes a field, and the list's own button does the same.
    await page.getByRole('button', { name: 'Add a Text field' }).click();
    await page.getByText('4 fields placed').waitFor();
    await page.keyboard.press('Delete');
    await page.getByText('3 fields placed').waitFor();
    await page.getByRole('button', { name: 'Add a Text field' }).click();
    await page.getByRole('button', { name: /^Delete Text for Charles Babbage, page 1/ }).click();
    await page.getByText('3 fields placed').waitFor();

    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('tab', { name: 'Charles Babbage' }).click();
    await page
      .getByText('Charles Babbage sees the documents with these fields to fill in and sign.')
      .waitFor();
    await checkAccessibility('review');
    await page.getByRole('button', { name: 'Send', exact: true }).click();

    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await page.getByText('Invited', { exact: false }).first().waitFor();
    await page.getByText('Waiting for earlier recipients').waitFor();
    await checkAccessibility('the envelope page');
    await page.getByRole('button', { name: 'Void…' }).click();
    await page.getByRole('dialog', { name: 'Void this envelope?' }).waitFor();
    await checkAccessibility('the void dialog');
    await page.keyboard.press('Escape');
    const id = /\/app\/envelopes\/([0-9a-f-]{36})$/.exec(page.url())?.[1];
    assert.ok(id, page.url());

    const stored = (await api.get<Stored>(`/api/v1/envelopes/${id}`)).body;
    assert.equal(stored.status, 'sent');
    assert.deepEqual(
      stored.recipients.map((r) => [r.name, r.routingOrder, r.status]),
      [
        ['Ada Lovelace', 1, 'sent'],
        ['Charles Babbage', 2, 'created'],
      ],
    );
    const [ada, charles] = stored.recipients;
    const fieldsOf = (recipientId: string) =>
      stored.fields
        .filter((f) => f.recipientId === recipientId)
        .map((f) => f.type)
        .sort();
    assert.deepEqual(fieldsOf(ada!.id), ['signature']);
    assert.deepEqual(fieldsOf(charles!.id), ['dateSigned', 'signature']);
    // The page is A4 (595.28 pt wide) drawn box.width pixels wide; a dropped field is centred
    // on the pointer, at the palette's default size (170 × 48 pt for a signature).
    const scale = 595.28 / box.width;
    const adaSignature = stored.fields.find((f) => f.recipientId === ada!.id)!;
    assert.ok(
      Math.abs(adaSignature.x + adaSignature.width / 2 - box.width * 0.3 * scale) < 1.5,
      JSON.stringify(adaSignature),
    );
    assert.ok(
      Math.abs(adaSignature.y + adaSignature.height / 2 - 300 * scale) < 1.5,
      JSON.stringify(adaSignature),
    );
    const charlesDate = stored.fields.find((f) => f.type === 'dateSigned')!;
    assert.equal(charlesDate.height, 22 + 2);

    // Remind whoever's turn it is; void with a reason.
    await page.getByRole('button', { name: 'Send a reminder' }).click();
    await page.getByText('Reminder sent to Ada Lovelace.', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Void…' }).click();
    await page.getByLabel('Reason').fill('Sent to the wrong Babbage');
    await page.getByRole('button', { name: 'Void the envelope' }).click();
    await page.getByText('Voided: Sent to the wrong Babbage').waitFor();
    // Named as the signed-in user: the timeline says who voided it, and why.
    await page.getByText(/ voided the envelope: “Sent to the wrong Babbage”$/).waitFor();
    const voided = (await api.get<{ status: string; voidReason: string }>(`/api/v1/envelopes/${id}`)).body;
    assert.deepEqual([voided.status, voided.voidReason], ['voided', 'Sent to the wrong Babbage']);

    await page.getByRole('link', { name: 'Envelopes' }).first().click();
    await page.getByRole('link', { name: /Consulting agreement/ }).waitFor();
    await checkAccessibility('the envelope list');
    await page.getByLabel('Search').fill('babbage');
    await page.getByRole('link', { name: /Consulting agreement/ }).waitFor();
    await page.getByLabel('Search').fill('nobody-like-this');
    await page.getByText('No envelopes match “nobody-like-this”.').waitFor();
    assert.deepEqual(inaccessible, [], 'axe-core: no serious or critical violation');
    assert.deepEqual(errors, []);
  });

  it('stores a field dropped on a mark of a rotated page, and of a cropped page, where the server draws that mark', async (t) => {
    if (!browser) return t.skip('apt-get install -y chromium');
    const { page, errors, api } = await signedIn('Geometry Ltd');
    // Page 1: Letter turned a quarter (/Rotate 90). Page 2: a 700 × 900 MediaBox cropped to
    // 400 × 500 from (100, 150). Each holds one black square, in user space.
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const rotated = doc.addPage([612, 792]);
    rotated.setRotation(degrees(90));
    const cropped = doc.addPage([700, 900]);
    cropped.setCropBox(100, 150, 400, 500);
    const marks = [
      { page: rotated, x: 100, y: 600 },
      { page: cropped, x: 300, y: 400 },
    ];
    for (const mark of marks)
      mark.page.drawRectangle({ x: mark.x, y: mark.y, width: 40, height: 40, color: rgb(0, 0, 0) });
    cropped.drawText('cropped', { x: 120, y: 620, size: 10, font, color: rgb(0.6, 0.6, 0.6) });

    await page.getByRole('link', { name: 'New envelope' }).first().click();
    await choosePdf(page, 'awkward.pdf', await doc.save());
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Name').fill('Grace Hopper');
    await page.getByLabel('Email address').fill('grace@example.com');
    await page.getByRole('button', { name: 'Next' }).click();

    for (const number of [1, 2]) {
      const figure = page.getByRole('figure', { name: `awkward.pdf, page ${number} of 2` });
      await figure.scrollIntoViewIfNeeded();
      await figure.locator('canvas').waitFor();
      // The square as pdf.js drew it: the dark pixels of the canvas, in CSS pixels of the page.
      const square = await figure.locator('canvas').evaluate(async (element) => {
        const canvas = element as unknown as PageCanvas;
        for (let attempt = 0; attempt < 100; attempt++) {
          const context = canvas.getContext('2d');
          if (context && canvas.width > 0) {
            const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
            let left = width;
            let right = -1;
            let top = height;
            let bottom = -1;
            for (let y = 0; y < height; y++) {
              for (let x = 0; x < width; x++) {
                const i = (y * width + x) * 4;
                if (data[i]! < 40 && data[i + 1]! < 40 && data[i + 2]! < 40 && data[i + 3]! > 200) {
                  left = Math.min(left, x);
                  right = Math.max(right, x);
                  top = Math.min(top, y);
                  bottom = Math.max(bottom, y);
                }
              }
            }
            if (right >= 0) {
              const ratio = canvas.width / canvas.clientWidth;
              return { x: (left + right + 1) / 2 / ratio, y: (top + bottom + 1) / 2 / ratio };
            }
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error('the page was not drawn');
      });
      const frame = await figure.boundingBox();
      assert.ok(frame);
      await page.evaluate(
        (y) => (globalThis as unknown as { scrollBy(x: number, y: number): void }).scrollBy(0, y),
        frame.y + square.y - 450,
      );
      const moved = await figure.boundingBox();
      assert.ok(moved);
      await dragFromPalette(page, 'Signature', moved.x + square.x, moved.y + square.y);
    }
    await page.getByText('2 fields placed').waitFor();
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    const id = /\/app\/envelopes\/([0-9a-f-]{36})$/.exec(page.url())?.[1];
    const stored = (await api.get<Stored>(`/api/v1/envelopes/${id}`)).body;
    assert.equal(stored.status, 'draft');

    // The boxes of the two pages as the server reads them (src/pdf/compose.ts#pageGeometry).
    const pages = [
      {
        visible: visibleRect({ x: 0, y: 0, width: 612, height: 792 }, undefined),
        rotation: normalizeRotation(90),
      },
      {
        visible: visibleRect(
          { x: 0, y: 0, width: 700, height: 900 },
          { x: 100, y: 150, width: 400, height: 500 },
        ),
        rotation: normalizeRotation(0),
      },
    ];
    for (const [index, mark] of marks.entries()) {
      const field = stored.fields.find((f) => f.page === index + 1);
      assert.ok(field, `a field on page ${index + 1}`);
      const { visible, rotation } = pages[index]!;
      const centre = displayedToUser(
        { x: field.x + field.width / 2, y: field.y + field.height / 2 },
        visible,
        rotation,
      );
      const expected = { x: mark.x + 20, y: mark.y + 20 };
      assert.ok(
        Math.abs(centre.x - expected.x) < 2 && Math.abs(centre.y - expected.y) < 2,
        `page ${index + 1}: the field's centre maps to (${centre.x.toFixed(1)}, ${centre.y.toFixed(1)}), the mark's is (${expected.x}, ${expected.y})`,
      );
    }
    assert.deepEqual(errors, []);

    // …and the seal puts the signer's ink inside the boxes the sender dragged: the sealed pages,
    // rendered by pdftoppm at 72 dpi within the CropBox (one pixel per point of the page as displayed, which is
    // the fields' coordinate system), hold green ink only inside each box.
    if (!hasTool('pdftoppm')) return t.skip('apt-get install -y poppler-utils');
    assert.equal((await api.post(`/api/v1/envelopes/${id}/send`)).status, 200);
    const token = await latestTokenFor(api, 'grace@example.com');
    const signer = apiClient(signet.app);
    await openEveryDocument(signer, token);
    await signer.post(`/api/v1/signing/${token}/consent`);
    const ink = solidPng(120, 40, [0, 170, 0, 255]);
    const finished = await signer.post(`/api/v1/signing/${token}/finish`, {
      signature: { kind: 'drawn', png: ink.toString('base64') },
    });
    assert.equal(finished.status, 200, JSON.stringify(finished.body));
    await eventually(async () => {
      const envelope = await api.get<{ seal: { state: string } }>(`/api/v1/envelopes/${id}`);
      return envelope.body.seal.state === 'done' ? true : undefined;
    }, 'the seal');
    const sealed = await api.get(`/api/v1/envelopes/${id}/download`);
    assert.equal(sealed.status, 200);
    const dir = mkdtempSync(join(tmpdir(), 'signet-ink-'));
    try {
      writeFileSync(join(dir, 'sealed.pdf'), sealed.raw);
      execFileSync('pdftoppm', [
        '-r',
        '72',
        '-cropbox',
        '-f',
        '1',
        '-l',
        '2',
        join(dir, 'sealed.pdf'),
        join(dir, 'page'),
      ]);
      for (const field of stored.fields) {
        const image = readPpm(readFileSync(join(dir, `page-${field.page}.ppm`)));
        const green = inkBox(image, (r, g, b) => g > 120 && r < 90 && b < 90);
        assert.ok(green.count > 100, `page ${field.page}: the signature's ink is on the sealed page`);
        const slack = 1.5;
        assert.ok(
          green.left >= field.x - slack &&
            green.right <= field.x + field.width + slack &&
            green.top >= field.y - slack &&
            green.bottom <= field.y + field.height + slack,
          `page ${field.page}: ink spans x ${green.left}–${green.right}, y ${green.top}–${green.bottom}; ` +
            `the box is x ${field.x}–${field.x + field.width}, y ${field.y}–${field.y + field.height}`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('shows a completed envelope: who did what in plain words, the verdict on the sealed PDF, and its files', async (t) => {
    if (!browser) return t.skip('apt-get install -y chromium');
    const { page, errors, api } = await signedIn('Somerville Ltd');
    const created = await api.post<{ id: string }>(
      '/api/v1/envelopes?send=true',
      envelopeJson(await makePdf(), {
        title: 'Consulting agreement',
        recipients: [
          { name: 'Ada Lovelace', email: 'ada@example.com', role: 'signer', routingOrder: 1 },
          { name: 'Mary Somerville', email: 'mary@example.com', role: 'cc', routingOrder: 2 },
        ],
        fields: [
          { recipient: 'ada@example.com', type: 'signature', page: 1, x: 60, y: 600, width: 180, height: 50 },
        ],
      }),
    );
    assert.equal(created.status, 201);
    const id = created.body.id;
    // Ada signs from her iPhone, through the signer API.
    const token = await latestTokenFor(api, 'ada@example.com');
    const iphone =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
    const asAda = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
      signet.app.inject({ method, url, headers: { 'user-agent': iphone }, ...(payload ? { payload } : {}) });
    const session = (await asAda('GET', `/api/v1/signing/${token}`)).json<{ documents: { id: string }[] }>();
    for (const document of session.documents)
      await asAda('GET', `/api/v1/signing/${token}/documents/${document.id}`);
    await asAda('POST', `/api/v1/signing/${token}/consent`, {});
    const finished = await asAda('POST', `/api/v1/signing/${token}/finish`, {
      signature: { kind: 'typed', text: 'Ada Lovelace' },
    });
    assert.equal(finished.statusCode, 200, finished.body);
    await eventually(async () => {
      const envelope = await api.get<{ seal: { state: string } }>(`/api/v1/envelopes/${id}`);
      return envelope.body.seal.state === 'done' ? true : undefined;
    }, 'the seal');

    await page.goto(`${signet.platform.config.publicUrl}/app/envelopes/${id}`);
    await page.getByRole('heading', { name: 'Consulting agreement' }).waitFor();
    await page.getByText('Received a copy', { exact: true }).waitFor();
    await page.getByText(/^Signed /).waitFor();
    // "Ada Lovelace opened the document — 14:02, Safari on iPhone, 127.0.0.1"
    const opened = page.getByRole('listitem').filter({ hasText: 'Ada Lovelace opened the document' });
    assert.match(
      String(await opened.textContent()),
      /\d{1,2}:\d{2}( [AP]M)?, Safari on iPhone, 127\.0\.0\.1$/,
    );
    await page.getByText('Ada Lovelace agreed to sign electronically').waitFor();
    await page.getByText('Everyone has completed the envelope').waitFor();
    await page.getByText('The audit log’s hash chain is intact.').waitFor();
    // What POST /api/v1/verify says of the sealed file.
    await page.getByText('Valid: every signature checks out and the document is unchanged since.').waitFor();
    await page.getByText('This is exactly the file Signet sealed for this envelope.').waitFor();
    assert.deepEqual(await accessibilityProblems(page), [], 'the completed envelope');

    const download = async (button: string) => {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: button }).click(),
      ]);
      return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
    };
    const sealed = await download('Download the signed PDF');
    assert.equal(sealed.name, 'Consulting agreement.pdf');
    assert.equal(sealed.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    const certificate = await download('Certificate of completion');
    assert.equal(certificate.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    const audit = await download('Audit log (JSON)');
    const trail = JSON.parse(audit.bytes.toString('utf8')) as {
      verified: boolean;
      events: { type: string }[];
    };
    assert.equal(trail.verified, true);
    assert.ok(trail.events.some((e) => e.type === 'envelope.sealed'));
    assert.deepEqual(errors, []);
  });
});
