import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyEnvelopeAudit } from '../../src/evidence/auditLog.ts';
import { hasTool, makeNssTrustStore, runPdfsig, runQpdfCheck } from '../peers/pdfValidators.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import { makeSignaturePng } from '../support/png.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../support/smtpReceiver.ts';

/**
 * The platform's main job, end to end through the HTTP API and a real SMTP server: two
 * signers in routing order plus a cc; each signer follows the link from the mail they got;
 * the sealed PDF validates in pdfsig (dev root trusted), passes qpdf, carries the
 * certificate of completion, and its audit chain verifies.
 */
const linkIn = (text: string) => {
  const match = /https?:\/\/\S+\/sign\/([A-Za-z0-9_-]{43})/.exec(text);
  assert.ok(match, `no signing link in mail:\n${text}`);
  return { url: match[0], token: match[1]! };
};

for (const kind of databaseKinds()) {
  describe(`the signing loop on ${kind}`, () => {
    let signet: TestSignet;
    let smtp: SmtpReceiver;
    let apiKey: string;
    const work = mkdtempSync(join(tmpdir(), 'signet-e2e-'));

    before(async () => {
      smtp = await startSmtpReceiver();
      signet = await startTestSignet(kind, { SMTP_URL: smtp.url, MAIL_FROM: 'Signet <sign@acme.test>' });
      ({ apiKey } = await createTestOrganization(signet));
    });
    after(async () => {
      await signet?.stop();
      await smtp?.close();
      rmSync(work, { recursive: true, force: true });
    });

    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${signet.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${apiKey}`, ...(init.headers ?? {}) },
      });
    const signer = (path: string, init: RequestInit = {}) =>
      fetch(`${signet.url}${path}`, {
        ...init,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'E2E Browser/1.0',
          ...(init.headers ?? {}),
        },
      });

    it('takes an uploaded PDF through routing, signing and sealing to a document validators accept', async () => {
      const form = new FormData();
      form.append(
        'files',
        new Blob([await makePdf({ pages: 2, text: 'Supply agreement' })], { type: 'application/pdf' }),
        'supply.pdf',
      );
      form.append(
        'envelope',
        JSON.stringify({
          title: 'Supply agreement',
          message: 'Please sign by Friday.',
          recipients: [
            { name: 'Ada Lovelace', email: 'ada@client.test', role: 'signer', routingOrder: 1 },
            { name: 'Brian Kernighan', email: 'brian@client.test', role: 'signer', routingOrder: 2 },
            { name: 'Carol Copy', email: 'carol@client.test', role: 'cc', routingOrder: 3 },
          ],
          fields: [
            {
              recipient: 'ada@client.test',
              type: 'signature',
              page: 2,
              x: 60,
              y: 600,
              width: 180,
              height: 50,
            },
            {
              recipient: 'ada@client.test',
              type: 'dateSigned',
              page: 2,
              x: 260,
              y: 620,
              width: 100,
              height: 20,
            },
            { recipient: 'ada@client.test', type: 'text', page: 1, x: 60, y: 200, width: 200, height: 20 },
            {
              recipient: 'ada@client.test',
              type: 'checkbox',
              page: 1,
              x: 60,
              y: 240,
              width: 14,
              height: 14,
              required: true,
            },
            {
              recipient: 'brian@client.test',
              type: 'signature',
              page: 2,
              x: 60,
              y: 700,
              width: 180,
              height: 50,
            },
            { recipient: 'brian@client.test', type: 'name', page: 2, x: 260, y: 720, width: 160, height: 20 },
          ],
        }),
      );
      const created = await api('/api/v1/envelopes?send=true', { method: 'POST', body: form });
      assert.equal(created.status, 201, await created.clone().text());
      const envelope = (await created.json()) as {
        id: string;
        status: string;
        documents: { id: string }[];
        recipients: { id: string; email: string; status: string }[];
      };
      assert.equal(envelope.status, 'sent');
      assert.equal(envelope.documents.length, 1);
      assert.deepEqual(
        envelope.recipients.map((r) => [r.email, r.status]),
        [
          ['ada@client.test', 'sent'],
          ['brian@client.test', 'created'],
          ['carol@client.test', 'created'],
        ],
      );

      // Ada signs first: only she is invited.
      const adaMail = await smtp.waitFor((m) => m.to.includes('ada@client.test'), 'invitation to Ada');
      assert.match(adaMail.subject, /Please sign: Supply agreement/);
      assert.equal(smtp.messages.filter((m) => m.to.includes('brian@client.test')).length, 0);
      const ada = linkIn(adaMail.text);
      assert.ok(ada.url.startsWith(signet.url), 'the link points at PUBLIC_URL');

      const session = (await (await signer(`/api/v1/signing/${ada.token}`)).json()) as {
        recipient: { email: string };
        fields: { id: string; type: string }[];
        documents: { id: string }[];
      };
      assert.equal(session.recipient.email, 'ada@client.test');
      assert.equal(session.fields.length, 4);
      const original = await signer(`/api/v1/signing/${ada.token}/documents/${session.documents[0]!.id}`);
      assert.equal(original.status, 200);
      assert.equal(
        Buffer.from(await original.arrayBuffer())
          .subarray(0, 5)
          .toString(),
        '%PDF-',
      );

      const early = await signer(`/api/v1/signing/${ada.token}/finish`, {
        method: 'POST',
        body: JSON.stringify({ signature: { kind: 'typed', text: 'Ada Lovelace' } }),
      });
      assert.equal(early.status, 409);
      assert.equal(((await early.json()) as { code: string }).code, 'CONSENT_REQUIRED');

      assert.equal(
        (await signer(`/api/v1/signing/${ada.token}/consent`, { method: 'POST', body: '{}' })).status,
        200,
      );
      const textField = session.fields.find((f) => f.type === 'text')!;
      const checkbox = session.fields.find((f) => f.type === 'checkbox')!;
      const filled = await signer(`/api/v1/signing/${ada.token}/fields`, {
        method: 'PUT',
        body: JSON.stringify({ values: { [textField.id]: 'Purchase order 4711', [checkbox.id]: true } }),
      });
      assert.equal(filled.status, 200, await filled.clone().text());
      const finished = await signer(`/api/v1/signing/${ada.token}/finish`, {
        method: 'POST',
        body: JSON.stringify({ signature: { kind: 'typed', text: 'Ada Lovelace' } }),
      });
      assert.equal(finished.status, 200, await finished.clone().text());

      // Then Brian, with a drawn signature.
      const brianMail = await smtp.waitFor((m) => m.to.includes('brian@client.test'), 'invitation to Brian');
      const brian = linkIn(brianMail.text);
      const brianSession = (await (await signer(`/api/v1/signing/${brian.token}`)).json()) as {
        documents: { id: string }[];
      };
      for (const { id } of brianSession.documents) {
        assert.equal((await signer(`/api/v1/signing/${brian.token}/documents/${id}`)).status, 200);
      }
      await signer(`/api/v1/signing/${brian.token}/consent`, { method: 'POST', body: '{}' });
      const brianDone = await signer(`/api/v1/signing/${brian.token}/finish`, {
        method: 'POST',
        body: JSON.stringify({ signature: { kind: 'drawn', png: makeSignaturePng().toString('base64') } }),
      });
      assert.equal(brianDone.status, 200, await brianDone.clone().text());

      // Sealing runs as a job.
      const sealed = await eventually(async () => {
        const current = (await (await api(`/api/v1/envelopes/${envelope.id}`)).json()) as {
          status: string;
          seal: { state: string; lastError: string | null };
        };
        assert.notEqual(current.seal.state, 'failed', current.seal.lastError ?? '');
        return current.seal.state === 'done' ? current : undefined;
      }, 'the seal');
      assert.equal(sealed.status, 'completed');
      const applied = (await (await api(`/api/v1/envelopes/${envelope.id}`)).json()) as {
        fields: { type: string; value: unknown }[];
      };
      assert.match(String(applied.fields.find((f) => f.type === 'dateSigned')?.value), /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(applied.fields.find((f) => f.type === 'name')?.value, 'Brian Kernighan');

      const download = await api(`/api/v1/envelopes/${envelope.id}/download`);
      assert.equal(download.status, 200);
      assert.equal(download.headers.get('content-type'), 'application/pdf');
      const pdfFile = join(work, 'sealed.pdf');
      writeFileSync(pdfFile, Buffer.from(await download.arrayBuffer()));
      // Set SIGNET_KEEP_SEALED=/some/file.pdf to look at the result yourself.
      if (process.env.SIGNET_KEEP_SEALED) copyFileSync(pdfFile, process.env.SIGNET_KEEP_SEALED);

      const rootPem = await (await fetch(`${signet.url}/pki/root.pem`)).text();
      assert.match(rootPem, /BEGIN CERTIFICATE/);
      if (hasTool('pdfsig') && hasTool('certutil')) {
        const store = await makeNssTrustStore(rootPem);
        try {
          const signatures = await runPdfsig(pdfFile, store.dir);
          // The default policy is B-LTA: the seal, then a document time-stamp over the DSS.
          assert.equal(signatures.length, 2, signatures.map((entry) => entry.raw).join('\n'));
          const [seal, archive] = signatures;
          assert.ok(seal!.signatureValid, seal!.raw);
          assert.ok(seal!.certificateTrusted, seal!.raw);
          assert.match(seal!.raw, /ETSI\.CAdES\.detached/);
          assert.ok(archive!.totalDocumentSigned, archive!.raw);
        } finally {
          await store.cleanup();
        }
      }
      if (hasTool('qpdf')) assert.equal(await runQpdfCheck(pdfFile), 0);
      if (hasTool('pdftotext')) {
        const text = execFileSync('pdftotext', ['-layout', pdfFile, '-'], { encoding: 'utf8' });
        assert.match(text, /Certificate of Completion/);
        assert.match(text, new RegExp(envelope.id));
        assert.match(text, /ada@client\.test/);
        assert.match(text, /Purchase order 4711/);
        assert.match(text, /Brian Kernighan/);
      }

      // Everyone, the cc included, receives the sealed copy.
      for (const address of ['ada@client.test', 'brian@client.test', 'carol@client.test']) {
        const completed = await smtp.waitFor(
          (m) => m.to.includes(address) && m.subject.startsWith('Completed'),
          `completed copy to ${address}`,
        );
        assert.equal(completed.attachments.length, 1);
        assert.equal(completed.attachments[0]!.mimeType, 'application/pdf');
      }

      // The link now shows the completed state and can never sign again.
      const after = (await (await signer(`/api/v1/signing/${ada.token}`)).json()) as {
        envelope: { status: string };
        recipient: { status: string };
        actions: { canSign: boolean };
      };
      assert.equal(after.envelope.status, 'completed');
      assert.equal(after.recipient.status, 'completed');
      assert.equal(after.actions.canSign, false);
      const twice = await signer(`/api/v1/signing/${ada.token}/finish`, {
        method: 'POST',
        body: JSON.stringify({ signature: { kind: 'typed', text: 'Ada Lovelace' } }),
      });
      assert.equal(twice.status, 409);

      const audit = (await (await api(`/api/v1/envelopes/${envelope.id}/audit`)).json()) as {
        verified: boolean;
        events: { type: string }[];
      };
      assert.equal(audit.verified, true);
      const types = audit.events.map((e) => e.type);
      for (const expected of [
        'envelope.created',
        'envelope.sent',
        'recipient.invited',
        'mail.sent',
        'recipient.viewed',
        'document.viewed',
        'recipient.consented',
        'field.filled',
        'recipient.signed',
        'envelope.completed',
        'envelope.sealed',
      ]) {
        assert.ok(types.includes(expected), `audit has ${expected}: ${types.join(', ')}`);
      }
      assert.ok((await verifyEnvelopeAudit(signet.platform.db, envelope.id)).ok);

      const certificate = await api(`/api/v1/envelopes/${envelope.id}/certificate`);
      assert.equal(certificate.status, 200);
      assert.equal(certificate.headers.get('content-type'), 'application/pdf');
    });
  });
}
