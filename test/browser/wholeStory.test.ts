import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createOrganization } from '../../src/orgs/organizations.ts';
import { hasTool, makeNssTrustStore, runPdfsig } from '../peers/pdfValidators.ts';
import { DESKTOP, launchChromium, PHONE, screenshot } from '../support/browser.ts';
import {
  ceremonyProgress,
  choosePdf,
  dragFromPalette,
  drawWithFinger,
  tabTo,
} from '../support/browserDriving.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import { startTestSignet, type TestSignet } from '../support/signetHarness.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../support/smtpReceiver.ts';

/*
 * The whole story of issue #11, through real interfaces only — no API call, no database
 * shortcut after the organisation exists: a sender signs in to the workspace, uploads a PDF,
 * adds two signers in routing order, drags their fields onto the page and sends. The first
 * signer opens the link in the mail the SMTP server received, on a 375 px touch screen, draws
 * her signature with a finger and finishes; the second, invited by mail only then, signs on a
 * desktop with the keyboard alone. The sender downloads the sealed PDF from the envelope page,
 * and pdfsig, trusting the installation's root, calls every signature valid.
 * Screenshots of each step land in test-results/story/.
 */

const ADA = 'ada@lovelace.test';
const BEN = 'ben@okafor.test';

describe('a sender and two signers, from sign-in to a sealed PDF, in Chromium', () => {
  let signet: TestSignet;
  let smtp: SmtpReceiver;
  let browser: Browser | undefined;
  let files: string;

  before(async () => {
    smtp = await startSmtpReceiver();
    signet = await startTestSignet(
      'pglite',
      { SMTP_URL: smtp.url, MAIL_FROM: 'Signet <sign@story.test>' },
      'localhost',
    );
    files = mkdtempSync(join(tmpdir(), 'signet-story-'));
    if (hasTool('chromium')) browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await signet?.stop();
    await smtp?.close();
    rmSync(files, { recursive: true, force: true });
  });

  /** The signing link in the latest invitation mailed to `to`, as the signer's mail client shows it. */
  async function linkMailedTo(to: string): Promise<string> {
    const mail = await smtp.waitFor(
      (m) => m.to.includes(to) && /sign/i.test(m.subject),
      `the invitation to ${to}`,
    );
    const link = /https?:\/\/\S+\/sign\/[\w-]+/.exec(mail.text)?.[0];
    assert.ok(link, `a signing link in the mail to ${to}:\n${mail.text}`);
    return link;
  }

  const collectErrors = (page: Page) => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    return errors;
  };

  it('is sent from the workspace, signed on a phone by touch and on a desktop by keyboard, and sealed valid', async (t) => {
    if (!browser) return t.skip('apt-get install -y chromium');
    if (!hasTool('pdfsig') || !hasTool('certutil'))
      return t.skip('apt-get install -y poppler-utils libnss3-tools');
    const organization = await createOrganization(signet.platform.db, {
      name: 'Lovelace Analytical Engines',
      adminEmail: 'owner@lovelace.test',
    });
    const publicUrl = signet.platform.config.publicUrl;

    // The sender: signs in with the password the organisation was created with.
    const office = await browser.newContext({ ...DESKTOP, locale: 'en-GB' });
    const sender = await office.newPage();
    const senderErrors = collectErrors(sender);
    await sender.goto(`${publicUrl}/login`);
    await sender.getByLabel('Email address').fill(organization.adminEmail);
    await sender.getByLabel('Password').fill(organization.adminPassword);
    await sender.getByRole('button', { name: 'Sign in', exact: true }).click();
    await sender.getByRole('heading', { name: 'Envelopes' }).waitFor();

    await sender.getByRole('link', { name: 'New envelope' }).first().click();
    await sender.getByRole('heading', { name: 'Documents' }).waitFor();
    await choosePdf(sender, files, 'engine-licence.pdf', await makePdf({ pages: 1, text: 'Engine licence' }));
    await sender.getByLabel('Title').fill('Analytical engine licence');
    await sender.getByRole('button', { name: 'Next' }).click();

    await sender.getByLabel('Name').fill('Ada Lovelace');
    await sender.getByLabel('Email address').fill(ADA);
    await sender.getByRole('button', { name: 'Add a recipient' }).click();
    await sender.getByLabel('Name').nth(1).fill('Ben Okafor');
    await sender.getByLabel('Email address').nth(1).fill(BEN);
    assert.equal(await sender.getByLabel('Routing order').nth(1).inputValue(), '2');
    await sender.getByRole('button', { name: 'Next' }).click();

    const page1 = sender.getByRole('figure', { name: 'engine-licence.pdf, page 1 of 1' });
    await page1.locator('canvas').waitFor();
    const box = await page1.boundingBox();
    assert.ok(box);
    await dragFromPalette(sender, 'Signature', box.x + box.width * 0.3, box.y + 320);
    await sender.getByRole('radio', { name: 'Ben Okafor' }).check();
    await dragFromPalette(sender, 'Signature', box.x + box.width * 0.7, box.y + 320);
    await sender.getByText('2 fields placed').waitFor();
    await screenshot(sender, 'story', '01-sender-fields-placed');
    await sender.getByRole('button', { name: 'Next' }).click();
    await sender.getByRole('button', { name: 'Send', exact: true }).click();
    await sender.getByRole('heading', { name: 'Timeline' }).waitFor();
    await sender.getByText('Waiting for earlier recipients').waitFor();
    const envelopePage = sender.url();
    assert.match(envelopePage, /\/app\/envelopes\/[0-9a-f-]{36}$/);

    // Ada: the link from her mail, on a phone, with a finger.
    const phone = await browser.newContext({ ...PHONE, locale: 'en-GB' });
    const ada = await phone.newPage();
    const adaErrors = collectErrors(ada);
    await ada.goto(await linkMailedTo(ADA));
    await ada.getByRole('heading', { name: 'Analytical engine licence' }).waitFor();
    await ada.getByLabel(/legally binding/).tap();
    await ada.getByRole('button', { name: 'Agree and continue' }).tap();
    await ceremonyProgress(ada).getByText('1 field left').waitFor();
    await ada.locator('canvas[data-rendered]').first().waitFor();
    await ada.getByRole('button', { name: /^Signature 1 of 1/ }).tap();
    const adopt = ada.getByRole('dialog', { name: 'Adopt your signature' });
    await adopt.getByText('Draw', { exact: true }).tap();
    const canvas = adopt.locator('canvas.draw-canvas');
    await canvas.waitFor();
    await drawWithFinger(phone, ada, canvas);
    await adopt.getByRole('img', { name: 'Drawing area, with your drawing' }).waitFor();
    await screenshot(ada, 'story', '02-first-signer-phone-drawn');
    await adopt.getByRole('button', { name: 'Adopt and sign' }).tap();
    await ada.getByRole('button', { name: /^Signature 1 of 1, .*signed/ }).waitFor();
    await ceremonyProgress(ada).getByText('Everything is filled in').waitFor();
    await ada.getByRole('button', { name: 'Finish', exact: true }).tap();
    await ada.getByRole('heading', { name: 'You have signed' }).waitFor();
    await ada.getByText('Others still have to sign').waitFor();
    await screenshot(ada, 'story', '03-first-signer-phone-done');
    assert.deepEqual(adaErrors, []);
    await phone.close();

    // Ben: invited only now that Ada has signed; a desktop and the keyboard alone.
    const desk = await browser.newContext({ ...DESKTOP, locale: 'en-GB' });
    const ben = await desk.newPage();
    const benErrors = collectErrors(ben);
    await ben.goto(await linkMailedTo(BEN));
    await ben.getByRole('heading', { name: 'Analytical engine licence' }).waitFor();
    await tabTo(ben, ben.getByLabel(/legally binding/));
    await ben.keyboard.press('Space');
    await tabTo(ben, ben.getByRole('button', { name: 'Agree and continue' }));
    await ben.keyboard.press('Enter');
    await ceremonyProgress(ben).getByText('1 field left').waitFor();
    await tabTo(ben, ben.getByRole('button', { name: 'Next field' }));
    await ben.keyboard.press('Enter');
    await ben.waitForFunction(`document.activeElement?.getAttribute('aria-label')?.startsWith('Signature')`);
    await ben.keyboard.press('Enter');
    const typed = ben.getByRole('dialog', { name: 'Adopt your signature' });
    await typed.waitFor();
    await tabTo(ben, typed.getByRole('button', { name: 'Adopt and sign' }));
    await ben.keyboard.press('Enter');
    await typed.waitFor({ state: 'detached' });
    await ceremonyProgress(ben).getByText('Everything is filled in').waitFor();
    await tabTo(ben, ben.getByRole('button', { name: 'Finish', exact: true }));
    await ben.keyboard.press('Enter');
    await ben.getByRole('heading', { name: 'You have signed' }).waitFor();
    await ben.getByRole('link', { name: 'Download the signed document' }).waitFor({ timeout: 60_000 });
    await screenshot(ben, 'story', '04-second-signer-desktop-done');
    assert.deepEqual(benErrors, []);
    await desk.close();

    // The sender sees it completed and downloads the sealed PDF from the envelope page.
    await sender.goto(envelopePage);
    await sender.getByText('Everyone has completed the envelope').waitFor();
    await sender
      .getByText('Valid: every signature checks out and the document is unchanged since.')
      .waitFor({ timeout: 60_000 });
    await screenshot(sender, 'story', '05-sender-completed');
    const [download] = await Promise.all([
      sender.waitForEvent('download'),
      sender.getByRole('button', { name: 'Download the signed PDF' }).click(),
    ]);
    const sealedFile = join(files, 'sealed.pdf');
    writeFileSync(sealedFile, readFileSync(await download.path()));
    assert.deepEqual(senderErrors, []);
    await office.close();

    const store = await makeNssTrustStore(signet.platform.pki.rootPem);
    try {
      const signatures = await runPdfsig(sealedFile, store.dir);
      const cades = signatures.filter((s) => s.subFilter === 'ETSI.CAdES.detached');
      assert.ok(cades.length >= 1, signatures.map((s) => s.raw).join('\n'));
      for (const signature of cades) {
        assert.ok(signature.signatureValid, signature.raw);
        assert.ok(signature.certificateTrusted, signature.raw);
      }
      assert.ok(signatures.at(-1)?.totalDocumentSigned, signatures.at(-1)?.raw);
    } finally {
      await store.cleanup();
    }
  });
});
