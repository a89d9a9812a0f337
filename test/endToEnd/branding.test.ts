import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sendDueReminders } from '../../src/envelopes/reminders.ts';
import { createApiKey } from '../../src/orgs/apiKeys.ts';
import { hasTool, makeNssTrustStore, runPdfsig, runTool } from '../peers/pdfValidators.ts';
import {
  type ApiClient,
  apiClient,
  envelopeJson,
  latestTokenFor,
  openEveryDocument,
} from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import { encodePng, solidPng } from '../support/png.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../support/smtpReceiver.ts';

/*
 * Organisation settings and white-label branding (issue #11, items 3, 5, 6 and 8's mail): what
 * an admin sets is what a signer sees — in every mail, in the recipient's language, on the
 * organisation's own domain — and what a new envelope takes when its request does not say.
 */

interface Organization {
  id: string;
  name: string;
  nameConfirmed: boolean;
  branding: {
    productName: string | null;
    primaryColor: string | null;
    emailSenderName: string | null;
    replyTo: string | null;
    logo: { url: string; contentType: string; width: number; height: number } | null;
  };
  consentText: string | null;
  defaultLanguage: string;
  customDomain: string | null;
  defaults: {
    expiryDays: number;
    expiryDaysIsDefault: boolean;
    reminders: { firstAfterDays: number; everyDays: number | null } | null;
    padesLevel: string;
    perSignerSignatures: boolean;
  };
}

interface Mail {
  to: string;
  kind: string;
  subject: string;
  fromName: string | null;
  replyTo: string | null;
  text: string | null;
  html: string | null;
  envelopeId: string | null;
}

async function mailTo(api: ApiClient, to: string, kind: string): Promise<Mail> {
  return eventually(async () => {
    const outbox = await api.get<{ messages: Mail[] }>('/api/v1/outbox/mail?limit=500');
    return outbox.body.messages.find((m) => m.to === to && m.kind === kind);
  }, `${kind} mail to ${to}`);
}

const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

/** Noise does not compress: a PNG this size is well over the 256 kB limit. */
const noisyPng = (side: number) => {
  const noise = randomBytes(side * side * 4);
  return encodePng(side, side, (x, y) => {
    const at = (y * side + x) * 4;
    return [noise[at]!, noise[at + 1]!, noise[at + 2]!, 255];
  });
};

for (const kind of databaseKinds()) {
  describe(`organisation settings and branding on ${kind}`, () => {
    let signet: TestSignet;
    let admin: ApiClient;
    let organizationId: string;
    /** Ada's envelope, signed by her, with Carl in cc: the certificate and timeline tests read it. */
    let signedEnvelopeId = '';

    before(async () => {
      signet = await startTestSignet(kind);
      const created = await createTestOrganization(signet, 'Acme Ltd');
      organizationId = created.organizationId;
      admin = apiClient(signet.app, created.apiKey);
    });
    after(() => signet?.stop());

    it('answers the settings with their defaults, and keeps what an admin changes', async () => {
      const initial = await admin.get<Organization>('/api/v1/organization');
      assert.equal(initial.status, 200, JSON.stringify(initial.body));
      assert.equal(initial.body.name, 'Acme Ltd');
      assert.equal(initial.body.nameConfirmed, true);
      assert.deepEqual(initial.body.branding, {
        productName: null,
        primaryColor: null,
        emailSenderName: null,
        replyTo: null,
        logo: null,
      });
      assert.equal(initial.body.defaultLanguage, 'en');
      assert.deepEqual(initial.body.defaults, {
        expiryDays: 30,
        expiryDaysIsDefault: true,
        reminders: null,
        padesLevel: 'B-LTA',
        perSignerSignatures: false,
      });

      const changed = await admin.patch<Organization>('/api/v1/organization', {
        name: 'Acme Holdings Ltd',
        branding: {
          productName: 'Acme Sign',
          primaryColor: '#0B5D3B',
          emailSenderName: 'Acme Contracts',
          replyTo: 'Contracts@Acme.test',
        },
        consentText: 'I agree to sign with Acme Sign electronically, as binding as on paper.',
        defaultLanguage: 'en',
        defaults: { expiryDays: 14, reminders: { firstAfterDays: 3, everyDays: 2 }, padesLevel: 'B-T' },
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      const read = await admin.get<Organization>('/api/v1/organization');
      assert.deepEqual(read.body, changed.body);
      assert.equal(read.body.name, 'Acme Holdings Ltd');
      assert.deepEqual(read.body.branding, {
        productName: 'Acme Sign',
        primaryColor: '#0b5d3b',
        emailSenderName: 'Acme Contracts',
        replyTo: 'contracts@acme.test',
        logo: null,
      });
      assert.deepEqual(read.body.defaults, {
        expiryDays: 14,
        expiryDaysIsDefault: false,
        reminders: { firstAfterDays: 3, everyDays: 2 },
        padesLevel: 'B-T',
        perSignerSignatures: false,
      });
      // The signature policy is the same setting, seen through its own route.
      const policy = await admin.get<{ padesLevel: string }>('/api/v1/organization/signature-policy');
      assert.equal(policy.body.padesLevel, 'B-T');

      // null puts a setting back to its default; what is not named stays.
      const reset = await admin.patch<Organization>('/api/v1/organization', {
        branding: { emailSenderName: null },
        defaults: { padesLevel: 'B-LTA' },
      });
      assert.equal(reset.body.branding.emailSenderName, null);
      assert.equal(reset.body.branding.productName, 'Acme Sign');
      assert.equal(reset.body.defaults.expiryDays, 14);
    });

    it('refuses a colour white text cannot be read on, unknown properties and bad values', async () => {
      const pale = await admin.patch<{ code: string; detail: string }>('/api/v1/organization', {
        branding: { primaryColor: '#ffd700' },
      });
      assert.equal(pale.status, 422);
      assert.equal(pale.body.code, 'BRANDING_COLOR_LOW_CONTRAST');
      assert.match(pale.body.detail, /contrast of 1\.\d+:1/);

      const unknown = await admin.patch<{ code: string; errors: { path: string }[] }>(
        '/api/v1/organization',
        {
          branding: { productName: 'X', font: 'Comic Sans' },
          colour: 'red',
        },
      );
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.code, 'VALIDATION_FAILED');

      const notHex = await admin.patch<{ code: string }>('/api/v1/organization', {
        branding: { primaryColor: 'green' },
      });
      assert.equal(notHex.status, 400);
      const badReplyTo = await admin.patch<{ code: string }>('/api/v1/organization', {
        branding: { replyTo: 'not an address' },
      });
      assert.equal(badReplyTo.status, 400);
      const badLanguage = await admin.patch<{ code: string }>('/api/v1/organization', {
        defaultLanguage: 'fr',
      });
      assert.equal(badLanguage.status, 400);

      // Nothing of a refused change was kept.
      const read = await admin.get<Organization>('/api/v1/organization');
      assert.equal(read.body.branding.primaryColor, '#0b5d3b');
    });

    it('lets only admins change settings; any key that reads envelopes may read them', async () => {
      const created = await createApiKey(signet.platform.db, {
        organizationId,
        name: 'integration',
        scopes: ['envelopes:read', 'envelopes:write'],
      });
      const integration = apiClient(signet.app, created.key);
      assert.equal((await integration.get('/api/v1/organization')).status, 200);
      const refused = await integration.patch<{ code: string }>('/api/v1/organization', { name: 'Hijacked' });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'API_KEY_SCOPE_MISSING');
    });

    it('takes a PNG or JPEG logo, refuses a large or foreign one, and serves it publicly', async () => {
      const logo = solidPng(240, 60, [11, 93, 59, 255]);
      const uploaded = await signet.app.inject({
        method: 'PUT',
        url: '/api/v1/organization/logo',
        headers: { authorization: admin.authorization, 'content-type': 'image/png' },
        payload: logo,
      });
      assert.equal(uploaded.statusCode, 200, uploaded.body);
      const info = uploaded.json<{ url: string; width: number; height: number; contentType: string }>();
      assert.deepEqual([info.width, info.height, info.contentType], [240, 60, 'image/png']);
      assert.match(info.url, new RegExp(`^/branding/${organizationId}/logo\\?v=[0-9a-f]{16}$`));

      const served = await signet.app.inject({ method: 'GET', url: info.url });
      assert.equal(served.statusCode, 200);
      assert.equal(served.headers['content-type'], 'image/png');
      assert.equal(served.headers['x-content-type-options'], 'nosniff');
      assert.match(String(served.headers['cache-control']), /max-age=31536000/);
      assert.deepEqual(served.rawPayload, logo);

      const tooLarge = await signet.app.inject({
        method: 'PUT',
        url: '/api/v1/organization/logo',
        headers: { authorization: admin.authorization, 'content-type': 'image/png' },
        payload: noisyPng(300),
      });
      assert.equal(tooLarge.statusCode, 413);
      assert.equal(tooLarge.json<{ code: string }>().code, 'LOGO_TOO_LARGE');

      const notAnImage = await signet.app.inject({
        method: 'PUT',
        url: '/api/v1/organization/logo',
        headers: { authorization: admin.authorization, 'content-type': 'image/png' },
        payload: await makePdf(),
      });
      assert.equal(notAnImage.statusCode, 415);
      assert.equal(notAnImage.json<{ code: string }>().code, 'LOGO_UNSUPPORTED');

      const tiny = await signet.app.inject({
        method: 'PUT',
        url: '/api/v1/organization/logo',
        headers: { authorization: admin.authorization, 'content-type': 'image/png' },
        payload: solidPng(8, 8),
      });
      assert.equal(tiny.json<{ code: string }>().code, 'LOGO_DIMENSIONS_INVALID');

      const brand = await apiClient(signet.app).get<{
        productName: string;
        primaryColor: string;
        logoUrl: string;
      }>(`/api/v1/branding/${organizationId}`);
      assert.deepEqual(brand.body, {
        organizationId,
        productName: 'Acme Sign',
        primaryColor: '#0b5d3b',
        logoUrl: info.url,
        staffSignIn: { saml: false, oidc: false },
      });

      assert.equal((await admin.delete('/api/v1/organization/logo')).status, 204);
      assert.equal((await signet.app.inject({ method: 'GET', url: info.url })).statusCode, 404);
      await signet.app.inject({
        method: 'PUT',
        url: '/api/v1/organization/logo',
        headers: { authorization: admin.authorization, 'content-type': 'image/png' },
        payload: logo,
      });
    });

    it('gives a new envelope the organisation’s defaults unless its request says otherwise', async () => {
      const plain = await admin.post<{
        id: string;
        expiryDays: number;
        reminders: unknown;
        expiresAt: string;
      }>('/api/v1/envelopes?send=true', envelopeJson(await makePdf()));
      assert.equal(plain.status, 201, JSON.stringify(plain.body));
      assert.equal(plain.body.expiryDays, 14);
      assert.deepEqual(plain.body.reminders, { firstAfterDays: 3, everyDays: 2 });
      const days = (Date.parse(plain.body.expiresAt) - Date.now()) / 86_400_000;
      assert.ok(days > 13.9 && days <= 14, `expires in ${days} days`);

      const own = await admin.post<{ expiryDays: number; reminders: unknown; expiresAt: string }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf(), { expiryDays: 5, reminders: null }),
      );
      assert.equal(own.body.expiryDays, 5);
      assert.equal(own.body.reminders, null);
    });

    it('sends the schedule’s reminders when they are due, then every few days', async () => {
      const created = await admin.post<{ id: string; nextReminderAt: string }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf(), {
          recipients: [{ name: 'Rita Reminded', email: 'rita@client.test' }],
          fields: [
            { recipient: 'rita@client.test', type: 'signature', x: 50, y: 600, width: 150, height: 40 },
          ],
          reminders: { firstAfterDays: 2, everyDays: 3 },
        }),
      );
      const due = (Date.parse(created.body.nextReminderAt) - Date.now()) / 86_400_000;
      assert.ok(due > 1.9 && due <= 2, `first reminder in ${due} days`);
      assert.deepEqual(await sendDueReminders(signet.platform), [], 'nothing is due yet');

      // Two days pass for this envelope.
      await signet.platform.db.query(
        `update envelopes set next_reminder_at = now() - interval '1 minute' where id = $1`,
        [created.body.id],
      );
      assert.deepEqual(await sendDueReminders(signet.platform), [created.body.id]);
      const reminder = await mailTo(admin, 'rita@client.test', 'reminder');
      assert.match(reminder.subject, /^Reminder: please sign: /);
      const after = await admin.get<{ nextReminderAt: string }>(`/api/v1/envelopes/${created.body.id}`);
      const next = (Date.parse(after.body.nextReminderAt) - Date.now()) / 86_400_000;
      assert.ok(next > 2.9 && next <= 3, `next reminder in ${next} days`);
      const audit = await admin.get<{ events: { type: string; actor: string }[] }>(
        `/api/v1/envelopes/${created.body.id}/audit`,
      );
      assert.ok(audit.body.events.some((e) => e.type === 'envelope.reminded' && e.actor === 'system'));
    });

    it('brands every mail with the organisation — its name, colour, logo and sender — never Signet’s', async () => {
      const created = await admin.post<{ id: string }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf(), {
          title: 'Supply <b>agreement</b>',
          message: 'Please sign by Friday.',
          recipients: [
            { name: 'Ada Lovelace', email: 'ada@client.test' },
            { name: 'Carl Copy', email: 'carl@client.test', role: 'cc' },
          ],
          fields: [
            { recipient: 'ada@client.test', type: 'signature', x: 50, y: 600, width: 150, height: 40 },
          ],
        }),
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const invitation = await mailTo(admin, 'ada@client.test', 'invitation');
      assert.equal(invitation.subject, 'Please sign: Supply <b>agreement</b>');
      // The person who sent it (the key's maker), via the brand; replies go where the admin said.
      assert.equal(invitation.fromName, 'Olive Owner via Acme Sign');
      assert.equal(invitation.replyTo, 'contracts@acme.test');
      assert.match(invitation.text ?? '', /Olive Owner has sent you "Supply <b>agreement<\/b>" to sign\./);
      assert.match(invitation.text ?? '', /Please sign by Friday\./);
      const html = invitation.html ?? '';
      assert.match(html, /background:#0b5d3b/, 'the button in the brand’s colour');
      assert.match(
        html,
        new RegExp(`<img src="${signet.url}/branding/${organizationId}/logo\\?v=[0-9a-f]{16}"`),
      );
      assert.match(html, /alt="Acme Sign"/);
      assert.match(html, /Supply &#60;b&#62;agreement&#60;\/b&#62;/, 'the title is text, not markup');
      assert.doesNotMatch(html, /<b>agreement/);
      assert.match(invitation.text ?? '', /Sent on behalf of Acme Holdings Ltd/);

      // The signer signs; the cc recipient receives a copy; every mail carries the brand alone.
      const token = await latestTokenFor(admin, 'ada@client.test');
      const signer = apiClient(signet.app);
      const opened = await signet.app.inject({
        method: 'GET',
        url: `/api/v1/signing/${token}`,
        headers: { 'user-agent': IPHONE_SAFARI },
      });
      assert.equal(opened.statusCode, 200, opened.body);
      await openEveryDocument(signer, token);
      await signer.post(`/api/v1/signing/${token}/consent`);
      const finished = await signer.post(`/api/v1/signing/${token}/finish`, {
        signature: { kind: 'typed', text: 'Ada Lovelace' },
      });
      assert.equal(finished.status, 200, JSON.stringify(finished.body));
      signedEnvelopeId = created.body.id;
      const copy = await mailTo(admin, 'carl@client.test', 'completed');
      assert.equal(copy.subject, 'Completed: Supply <b>agreement</b>');
      assert.match(copy.text ?? '', /Hello Carl Copy,/);

      const outbox = await admin.get<{ messages: Mail[] }>('/api/v1/outbox/mail?limit=500');
      const mails = outbox.body.messages.filter((m) => m.envelopeId === created.body.id);
      assert.ok(mails.length >= 3, `${mails.length} mails`);
      for (const mail of mails) {
        const whole = [mail.subject, mail.fromName, mail.text, mail.html].join('\n');
        assert.doesNotMatch(whole, /Signet|Default organisation|Administrator/, `${mail.kind} to ${mail.to}`);
        assert.match(mail.fromName ?? '', /Acme Sign$/);
      }
    });

    it('tells the envelope’s story in plain words, naming people and their devices (en, de)', async () => {
      // Sealing and the mails after it are jobs: the story is whole once the last copy went out.
      await eventually(async () => {
        const audit = await admin.get<{ events: { type: string; data: { kind?: string } }[] }>(
          `/api/v1/envelopes/${signedEnvelopeId}/audit`,
        );
        const copies = audit.body.events.filter((e) => e.type === 'mail.sent' && e.data.kind === 'completed');
        return copies.length === 3 ? true : undefined;
      }, 'the completed copies to Ada, Carl and the sender');
      const timeline = await admin.get<{
        language: string;
        entries: {
          action: string;
          text: string;
          device: string | null;
          ip: string | null;
          actor: { name: string };
        }[];
      }>(`/api/v1/envelopes/${signedEnvelopeId}/timeline`);
      assert.equal(timeline.status, 200, JSON.stringify(timeline.body));
      assert.equal(timeline.body.language, 'en');
      const texts = timeline.body.entries.map((e) => e.text);
      assert.equal(
        texts[0],
        'Olive Owner (API key “initial key”) created the envelope “Supply <b>agreement</b>”',
      );
      for (const expected of [
        'Olive Owner (API key “initial key”) sent the envelope',
        'Ada Lovelace was invited to sign',
        'Ada Lovelace opened the document',
        'Ada Lovelace agreed to sign electronically',
        'Ada Lovelace signed',
        'Everyone has completed the envelope',
        'The completed document was sealed',
        'Carl Copy received a copy',
        'The invitation was emailed to Ada Lovelace',
        'The completed document was emailed to Olive Owner',
      ]) {
        assert.ok(texts.includes(expected), `"${expected}" in ${JSON.stringify(texts, null, 1)}`);
      }
      assert.ok(!texts.some((t) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(t)), 'no ids');
      const opened = timeline.body.entries.find((e) => e.action === 'recipient.viewed');
      assert.equal(opened?.actor.name, 'Ada Lovelace');
      assert.equal(opened?.device, 'Safari on iPhone');
      assert.ok(opened?.ip, 'the address it came from');

      const german = await admin.get<{ entries: { text: string }[] }>(
        `/api/v1/envelopes/${signedEnvelopeId}/timeline?language=de`,
      );
      const germanTexts = german.body.entries.map((e) => e.text);
      assert.ok(germanTexts.includes('Ada Lovelace hat das Dokument geöffnet'), JSON.stringify(germanTexts));
      assert.ok(germanTexts.includes('Carl Copy hat eine Kopie erhalten'));
    });

    it('downloads a certificate of completion sealed like the document, naming people and what they agreed to', async (t) => {
      await eventually(async () => {
        const envelope = await admin.get<{ seal: { state: string } }>(
          `/api/v1/envelopes/${signedEnvelopeId}`,
        );
        return envelope.body.seal.state === 'done' ? true : undefined;
      }, 'the seal');
      const download = await admin.get(`/api/v1/envelopes/${signedEnvelopeId}/certificate`);
      assert.equal(download.status, 200);
      assert.equal(download.headers['content-type'], 'application/pdf');
      const dir = mkdtempSync(join(tmpdir(), 'signet-certificate-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'certificate.pdf');
      writeFileSync(file, download.raw);
      if (!hasTool('pdfsig') || !hasTool('certutil') || !hasTool('pdftotext')) {
        return t.skip('apt-get install -y poppler-utils libnss3-tools');
      }
      const store = await makeNssTrustStore(signet.platform.pki.rootPem);
      try {
        // The seal, and at B-LTA the document time-stamp after it.
        const signatures = await runPdfsig(file, store.dir);
        assert.ok(signatures.length >= 1, 'sealed');
        const [seal] = signatures;
        assert.match(seal?.raw ?? '', /Signature Field Name: Signet seal/);
        assert.ok(seal?.signatureValid, seal?.raw);
        assert.ok(seal.certificateTrusted, seal.raw);
        assert.ok(signatures.at(-1)?.totalDocumentSigned, signatures.at(-1)?.raw);
      } finally {
        await store.cleanup();
      }
      const text = (await runTool('pdftotext', ['-layout', file, '-'])).stdout;
      assert.match(text, /ACME SIGN/);
      assert.match(text, /Ada Lovelace opened the document/);
      assert.match(text, /Olive Owner \(API key “initial key”\) sent the envelope/);
      // The organisation's own consent wording, as the signer was shown it and agreed to it.
      assert.match(text, /Agreed to\s+“I agree to sign with Acme Sign electronically/);
      assert.match(text, /Carl Copy[\s\S]*RECEIVED A COPY/);
      assert.match(text, /Completed document sent\s+\d{4}-\d{2}-\d{2}T/);
      assert.doesNotMatch(text, /recipient:[0-9a-f]{8}|api-key:|Signet|Default organisation/);
      const info = (await runTool('pdfinfo', [file])).stdout;
      assert.match(info, /^Producer:\s+Acme Sign$/m);
    });

    it('words the certificate in the organisation’s language: German labels and audit trail', async (t) => {
      if (!hasTool('pdftotext')) return t.skip('apt-get install -y poppler-utils');
      await admin.patch('/api/v1/organization', { defaultLanguage: 'de' });
      t.after(() => admin.patch('/api/v1/organization', { defaultLanguage: 'en' }));
      const download = await admin.get(`/api/v1/envelopes/${signedEnvelopeId}/certificate`);
      assert.equal(download.status, 200);
      const dir = mkdtempSync(join(tmpdir(), 'signet-certificate-de-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'zertifikat.pdf');
      writeFileSync(file, download.raw);
      const text = (await runTool('pdftotext', ['-layout', file, '-'])).stdout;
      assert.match(text, /Abschlusszertifikat/);
      assert.match(text, /Ada Lovelace hat das Dokument geöffnet/);
      assert.match(text, /Identitätsprüfungen\s+E-Mail-Link/);
      assert.match(text, /Carl Copy[\s\S]*KOPIE ERHALTEN/);
      assert.doesNotMatch(text, /Certificate of Completion|Audit trail|opened the document/);
    });

    it('writes to a German recipient in German', async () => {
      await admin.post('/api/v1/envelopes?send=true', {
        ...envelopeJson(await makePdf(), {
          title: 'Liefervertrag',
          recipients: [{ name: 'Grete Müller', email: 'grete@kunde.test', language: 'de' }],
          fields: [
            { recipient: 'grete@kunde.test', type: 'signature', x: 50, y: 600, width: 150, height: 40 },
          ],
        }),
      });
      const invitation = await mailTo(admin, 'grete@kunde.test', 'invitation');
      assert.equal(invitation.subject, 'Bitte unterschreiben: Liefervertrag');
      assert.match(invitation.text ?? '', /^Guten Tag Grete Müller,/);
      assert.match(
        invitation.text ?? '',
        /Olive Owner hat Ihnen „Liefervertrag“ zum Unterschreiben gesendet\./,
      );
      assert.match(invitation.text ?? '', /Ansehen und unterschreiben: http/);
      assert.match(invitation.html ?? '', /<html lang="de">/);

      // The organisation's default language is what a recipient without one gets.
      await admin.patch('/api/v1/organization', { defaultLanguage: 'de' });
      await admin.post('/api/v1/envelopes?send=true', {
        ...envelopeJson(await makePdf(), {
          title: 'Rahmenvertrag',
          recipients: [
            { name: 'Hans Beispiel', email: 'hans@kunde.test' },
            { name: 'Emma English', email: 'emma@client.test', language: 'en', routingOrder: 1 },
          ],
          fields: [
            { recipient: 'hans@kunde.test', type: 'signature', x: 50, y: 600, width: 150, height: 40 },
            { recipient: 'emma@client.test', type: 'signature', x: 250, y: 600, width: 150, height: 40 },
          ],
        }),
      });
      assert.match((await mailTo(admin, 'hans@kunde.test', 'invitation')).subject, /^Bitte unterschreiben/);
      assert.match((await mailTo(admin, 'emma@client.test', 'invitation')).subject, /^Please sign/);
      await admin.patch('/api/v1/organization', { defaultLanguage: 'en' });
    });

    it('uses the organisation’s own wording, previews it, and refuses placeholders a mail does not have', async () => {
      const saved = await admin.put<{ custom: boolean; placeholders: string[] }>(
        '/api/v1/organization/email-templates/invitation',
        {
          language: 'en',
          subject: '{{productName}}: {{envelopeTitle}} is waiting for you',
          body: 'Dear {{recipientName}},\n\n{{senderName}} asks you to {{action}} "{{envelopeTitle}}".\n\n{{message}}',
        },
      );
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.equal(saved.body.custom, true);
      assert.ok(saved.body.placeholders.includes('action'));

      const preview = await admin.post<{ subject: string; text: string; html: string; fromName: string }>(
        '/api/v1/organization/email-templates/invitation/preview',
        {},
      );
      assert.equal(preview.status, 200, JSON.stringify(preview.body));
      assert.equal(preview.body.subject, 'Acme Sign: Service agreement 2025 is waiting for you');
      assert.match(
        preview.body.text,
        /^Dear Ada Lovelace,\n\nGrace Hopper asks you to sign "Service agreement 2025"\./,
      );
      assert.match(preview.body.html, /background:#0b5d3b/);
      assert.equal(preview.body.fromName, 'Grace Hopper via Acme Sign');

      const draft = await admin.post<{ subject: string; html: string }>(
        '/api/v1/organization/email-templates/invitation/preview',
        { subject: 'Draft for <script>{{recipientName}}</script>' },
      );
      assert.equal(draft.body.subject, 'Draft for <script>Ada Lovelace</script>');
      assert.match(
        draft.body.html,
        /<title>Draft for &#60;script&#62;Ada Lovelace&#60;\/script&#62;<\/title>/,
      );
      const german = await admin.post<{ subject: string }>(
        '/api/v1/organization/email-templates/completed/preview',
        {
          language: 'de',
        },
      );
      assert.equal(german.body.subject, 'Abgeschlossen: Dienstleistungsvertrag 2025');

      for (const [body, problem] of [
        [{ language: 'en', subject: 'Hi {{recipientNmae}}', body: 'x' }, /recipientNmae/],
        [
          { language: 'en', subject: 'Hi', body: '{{#message}}shown{{/message}}' },
          /only \{\{placeholder\}\}/,
        ],
        [{ language: 'en', subject: 'Hi', body: '{{{message}}}' }, /only \{\{placeholder\}\}/],
      ] as const) {
        const refused = await admin.put<{ code: string; detail: string }>(
          '/api/v1/organization/email-templates/invitation',
          body,
        );
        assert.equal(refused.status, 400);
        assert.equal(refused.body.code, 'EMAIL_TEMPLATE_INVALID');
        assert.match(refused.body.detail, problem);
      }
      const codeInSubject = await admin.put<{ code: string }>(
        '/api/v1/organization/email-templates/one-time-code',
        {
          language: 'en',
          subject: 'Your code: {{code}}',
          body: '{{code}}',
        },
      );
      assert.equal(codeInSubject.body.code, 'EMAIL_TEMPLATE_INVALID', 'a code never goes in a subject');

      await admin.post('/api/v1/envelopes?send=true', {
        ...envelopeJson(await makePdf(), {
          title: 'Lease',
          recipients: [{ name: 'Tom Tenant', email: 'tom@client.test' }],
          fields: [
            { recipient: 'tom@client.test', type: 'signature', x: 50, y: 600, width: 150, height: 40 },
          ],
        }),
      });
      const mail = await mailTo(admin, 'tom@client.test', 'invitation');
      assert.equal(mail.subject, 'Acme Sign: Lease is waiting for you');
      assert.match(
        mail.text ?? '',
        /^Dear Tom Tenant,\n\nOlive Owner asks you to sign "Lease"\.\n\nReview and sign: http/,
      );

      const reset = await admin.delete<{ custom: boolean; subject: string }>(
        '/api/v1/organization/email-templates/invitation?language=en',
      );
      assert.equal(reset.body.custom, false);
      assert.equal(reset.body.subject, 'Please {{action}}: {{envelopeTitle}}');
      const list = await admin.get<{ templates: { kind: string; language: string; custom: boolean }[] }>(
        '/api/v1/organization/email-templates',
      );
      assert.equal(list.body.templates.length, 14, 'seven kinds in two languages');
    });

    it('maps its custom domain to the organisation and builds its links on it', async () => {
      const other = await createTestOrganization(signet, 'Globex');
      const globex = apiClient(signet.app, other.apiKey);
      const set = await admin.patch<Organization>('/api/v1/organization', { customDomain: 'Sign.Acme.test' });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.equal(set.body.customDomain, 'sign.acme.test');
      const taken = await globex.patch<{ code: string }>('/api/v1/organization', {
        customDomain: 'sign.acme.test',
      });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.code, 'CUSTOM_DOMAIN_TAKEN');
      for (const bad of ['localhost', '127.0.0.1', 'not a host', new URL(signet.url).hostname]) {
        const refused = await globex.patch<{ code: string }>('/api/v1/organization', { customDomain: bad });
        assert.equal(refused.body.code, 'CUSTOM_DOMAIN_INVALID', bad);
      }

      // The host a request came to says whose sign-in page it is.
      const onDomain = await signet.app.inject({
        method: 'GET',
        url: '/api/v1/branding',
        headers: { host: 'sign.acme.test' },
      });
      assert.deepEqual(
        { ...onDomain.json<Record<string, unknown>>(), logoUrl: null },
        {
          organizationId,
          productName: 'Acme Sign',
          primaryColor: '#0b5d3b',
          logoUrl: null,
          staffSignIn: { saml: false, oidc: false },
        },
      );
      const onPlatform = await signet.app.inject({ method: 'GET', url: '/api/v1/branding' });
      assert.equal(onPlatform.json<{ organizationId: string | null }>().organizationId, null);

      await admin.post('/api/v1/envelopes?send=true', {
        ...envelopeJson(await makePdf(), {
          title: 'On our domain',
          recipients: [{ name: 'Dora Domain', email: 'dora@client.test' }],
          fields: [
            { recipient: 'dora@client.test', type: 'signature', x: 50, y: 600, width: 150, height: 40 },
          ],
        }),
      });
      const mail = await mailTo(admin, 'dora@client.test', 'invitation');
      assert.match(mail.text ?? '', /https:\/\/sign\.acme\.test\/sign\/[A-Za-z0-9_-]{43}/);
      assert.match(mail.html ?? '', /<img src="https:\/\/sign\.acme\.test\/branding\//);
      assert.doesNotMatch(mail.text ?? '', new RegExp(signet.url.replace(/[.:/]/g, '\\$&')));

      await admin.patch('/api/v1/organization', { customDomain: null });
      const gone = await signet.app.inject({
        method: 'GET',
        url: '/api/v1/branding',
        headers: { host: 'sign.acme.test' },
      });
      assert.equal(gone.json<{ organizationId: string | null }>().organizationId, null);
    });
  });
}

for (const kind of databaseKinds()) {
  describe(`branded mail through a real SMTP relay on ${kind}`, () => {
    let smtp: SmtpReceiver;
    let signet: TestSignet;

    before(async () => {
      smtp = await startSmtpReceiver();
      signet = await startTestSignet(kind, { SMTP_URL: smtp.url, MAIL_FROM: 'Mailer <sign@platform.test>' });
    });
    after(async () => {
      await signet?.stop();
      await smtp?.close();
    });

    it('sends as "Name via Brand" from the platform’s address, with the organisation’s Reply-To', async () => {
      const created = await createTestOrganization(signet, 'Initech');
      const admin = apiClient(signet.app, created.apiKey);
      await admin.patch('/api/v1/organization', {
        branding: { emailSenderName: 'Initech Contracts', replyTo: 'legal@initech.test' },
      });
      await admin.post('/api/v1/envelopes?send=true', envelopeJson(await makePdf()));
      const mail = await smtp.waitFor((m) => m.to.includes('sam@client.test'), 'the invitation');
      assert.deepEqual(mail.fromHeader, {
        name: 'Olive Owner via Initech Contracts',
        address: 'sign@platform.test',
      });
      assert.equal(mail.from, 'sign@platform.test', 'the envelope sender stays the platform’s (SPF, DKIM)');
      assert.deepEqual(mail.replyTo, ['legal@initech.test']);
      assert.doesNotMatch(`${mail.subject}\n${mail.text}\n${mail.html}`, /Signet|Mailer/);
    });
  });
}
