import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expireOverdueEnvelopes } from '../../src/envelopes/expiry.ts';
import {
  type ApiClient,
  apiClient,
  envelopeJson,
  latestTokenFor,
  openEveryDocument,
} from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import { makeSignaturePng } from '../support/png.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

interface Envelope {
  id: string;
  status: string;
  recipients: { id: string; email: string; status: string; role: string }[];
  fields: { id: string; type: string; recipientId: string }[];
  seal: { state: string };
}
interface OutboxMail {
  to: string;
  kind: string;
  subject: string;
  text: string;
}

/** Routing, sender actions and the signer API's rules (SPEC §A, §B), through the HTTP API. */
for (const kind of databaseKinds()) {
  describe(`envelope lifecycle on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let ownerEmail: string;
    let pdf: Buffer;
    const signer = () => apiClient(signet.app);

    before(async () => {
      signet = await startTestSignet(kind);
      const org = await createTestOrganization(signet);
      api = apiClient(signet.app, org.apiKey);
      ownerEmail = org.adminEmail;
      pdf = await makePdf({ pages: 2 });
    });
    after(() => signet?.stop());

    const outbox = async () =>
      (await api.get<{ messages: OutboxMail[] }>('/api/v1/outbox/mail?limit=500')).body.messages;
    const mailsTo = async (email: string, kindOf?: string) =>
      (await outbox()).filter((m) => m.to === email && (!kindOf || m.kind === kindOf));
    const sign = async (token: string, signature: unknown = { kind: 'typed', text: 'Signed' }) => {
      assert.equal((await signer().post(`/api/v1/signing/${token}/consent`)).status, 200);
      await openEveryDocument(signer(), token);
      const done = await signer().post<{ code?: string }>(`/api/v1/signing/${token}/finish`, { signature });
      assert.equal(done.status, 200, JSON.stringify(done.body));
    };
    const sigField = (email: string, y = 600) => ({
      recipient: email,
      type: 'signature',
      page: 1,
      x: 50,
      y,
      width: 150,
      height: 40,
    });

    it('invites a routing group in parallel and the next group only when it is done', async () => {
      const created = await api.post<Envelope>(
        '/api/v1/envelopes?send=true',
        envelopeJson(pdf, {
          recipients: [
            { name: 'P One', email: 'p1@x.test', routingOrder: 1 },
            { name: 'P Two', email: 'p2@x.test', routingOrder: 1 },
            { name: 'Ann Approver', email: 'approver@x.test', role: 'approver', routingOrder: 2 },
            { name: 'Vic Viewer', email: 'viewer@x.test', role: 'viewer', routingOrder: 3 },
          ],
          fields: [sigField('p1@x.test', 500), sigField('p2@x.test', 600)],
        }),
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal((await mailsTo('p1@x.test', 'invitation')).length, 1);
      assert.equal((await mailsTo('p2@x.test', 'invitation')).length, 1);
      assert.equal((await mailsTo('approver@x.test')).length, 0);

      await sign(await latestTokenFor(api, 'p1@x.test'));
      assert.equal((await mailsTo('approver@x.test')).length, 0, 'group 2 waits for all of group 1');
      await sign(await latestTokenFor(api, 'p2@x.test'), {
        kind: 'drawn',
        png: makeSignaturePng().toString('base64'),
      });
      assert.equal((await mailsTo('approver@x.test', 'invitation')).length, 1);
      const approve = await latestTokenFor(api, 'approver@x.test');
      assert.match((await mailsTo('approver@x.test', 'invitation'))[0]!.subject, /Please approve/);
      // Approvers and viewers finish without adopting a signature.
      await signer().post(`/api/v1/signing/${approve}/consent`);
      await openEveryDocument(signer(), approve);
      assert.equal((await signer().post(`/api/v1/signing/${approve}/finish`, {})).status, 200);
      const viewer = await latestTokenFor(api, 'viewer@x.test');
      await signer().post(`/api/v1/signing/${viewer}/consent`);
      await openEveryDocument(signer(), viewer);
      assert.equal((await signer().post(`/api/v1/signing/${viewer}/finish`, {})).status, 200);

      const done = await eventually(async () => {
        const e = (await api.get<Envelope>(`/api/v1/envelopes/${created.body.id}`)).body;
        return e.seal.state === 'done' ? e : undefined;
      }, 'seal');
      assert.equal(done.status, 'completed');
      assert.ok(done.recipients.every((r) => r.status === 'completed'));
      await eventually(
        async () => ((await mailsTo(ownerEmail, 'completed')).length > 0 ? true : undefined),
        'sender copy',
      );
    });

    it('ends the envelope when a signer declines, and tells the sender and the others', async () => {
      const created = await api.post<Envelope>(
        '/api/v1/envelopes?send=true',
        envelopeJson(pdf, {
          recipients: [
            { name: 'D One', email: 'd1@x.test' },
            { name: 'D Two', email: 'd2@x.test' },
          ],
          fields: [sigField('d1@x.test', 500), sigField('d2@x.test', 600)],
        }),
      );
      const t1 = await latestTokenFor(api, 'd1@x.test');
      const t2 = await latestTokenFor(api, 'd2@x.test');
      const declined = await signer().post<{ envelope: { status: string } }>(
        `/api/v1/signing/${t1}/decline`,
        {
          reason: 'The price is wrong',
        },
      );
      assert.equal(declined.status, 200);
      assert.equal(declined.body.envelope.status, 'declined');
      const other = await signer().post<{ code: string }>(`/api/v1/signing/${t2}/consent`);
      assert.equal(other.status, 409);
      assert.equal(other.body.code, 'ENVELOPE_DECLINED');
      assert.equal((await api.get<Envelope>(`/api/v1/envelopes/${created.body.id}`)).body.status, 'declined');
      const notices = (await outbox()).filter(
        (m) => m.kind === 'declined' && m.text.includes('The price is wrong'),
      );
      assert.deepEqual(notices.map((m) => m.to).sort(), ['d2@x.test', ownerEmail].sort());
    });

    it('reminds pending recipients with a fresh link, and the old one keeps working', async () => {
      await api.post<Envelope>(
        '/api/v1/envelopes?send=true',
        envelopeJson(pdf, {
          recipients: [{ name: 'R', email: 'remind@x.test' }],
          fields: [sigField('remind@x.test')],
        }),
      );
      const first = await latestTokenFor(api, 'remind@x.test');
      const [envelope] = (await api.get<{ data: Envelope[] }>('/api/v1/envelopes?status=sent&limit=1')).body
        .data;
      const reminded = await api.post<{ reminded: { email: string }[] }>(
        `/api/v1/envelopes/${envelope!.id}/remind`,
      );
      assert.deepEqual(
        reminded.body.reminded.map((r) => r.email),
        ['remind@x.test'],
      );
      const reminder = await mailsTo('remind@x.test', 'reminder');
      assert.equal(reminder.length, 1);
      assert.match(reminder[0]!.subject, /^Reminder:/);
      assert.notEqual(await latestTokenFor(api, 'remind@x.test'), first);
      assert.equal((await signer().get(`/api/v1/signing/${first}`)).status, 200);
    });

    it('gives a short-lived embedded signing URL only for a recipient whose turn it is', async () => {
      const created = await api.post<Envelope>(
        '/api/v1/envelopes?send=true',
        envelopeJson(pdf, {
          recipients: [
            { name: 'E1', email: 'e1@x.test', routingOrder: 1 },
            { name: 'E2', email: 'e2@x.test', routingOrder: 2 },
            { name: 'Cc', email: 'cc@x.test', role: 'cc', routingOrder: 1 },
          ],
          fields: [sigField('e1@x.test', 500), sigField('e2@x.test', 600)],
        }),
      );
      const byEmail = (email: string) => created.body.recipients.find((r) => r.email === email);
      const [e1, e2, cc] = [byEmail('e1@x.test'), byEmail('e2@x.test'), byEmail('cc@x.test')];
      const url = await api.post<{ url: string; expiresAt: string }>(
        `/api/v1/envelopes/${created.body.id}/recipients/${e1!.id}/signing-url`,
      );
      assert.equal(url.status, 200);
      const token = /\/sign\/([A-Za-z0-9_-]{43})$/.exec(url.body.url)?.[1];
      assert.ok(token, url.body.url);
      const ttl = Date.parse(url.body.expiresAt) - Date.now();
      assert.ok(ttl > 0 && ttl <= 300_000, `expires in ${ttl} ms`);
      const session = await signer().get<{ recipient: { email: string } }>(`/api/v1/signing/${token}`);
      assert.equal(session.body.recipient.email, 'e1@x.test');
      const notYet = await api.post<{ code: string }>(
        `/api/v1/envelopes/${created.body.id}/recipients/${e2!.id}/signing-url`,
      );
      assert.equal(notYet.status, 409);
      assert.equal(notYet.body.code, 'RECIPIENT_NOT_YET_ACTIVE');
      await signer().post(`/api/v1/signing/${token}/consent`);
      await openEveryDocument(signer(), token);
      const e1Done = await signer().post(`/api/v1/signing/${token}/finish`, {
        signature: { kind: 'typed', text: 'E1' },
      });
      assert.equal(e1Done.status, 200, JSON.stringify(e1Done.body));
      const finished = await api.post<{ code: string }>(
        `/api/v1/envelopes/${created.body.id}/recipients/${e1!.id}/signing-url`,
      );
      assert.equal(finished.status, 409);
      assert.equal(finished.body.code, 'RECIPIENT_ALREADY_COMPLETED');

      const copy = await api.post<{ code: string }>(
        `/api/v1/envelopes/${created.body.id}/recipients/${cc!.id}/signing-url`,
      );
      assert.equal(copy.body.code, 'RECIPIENT_CANNOT_SIGN');
      const unknown = await api.post<{ code: string }>(
        `/api/v1/envelopes/${created.body.id}/recipients/00000000-0000-4000-8000-000000000000/signing-url`,
      );
      assert.equal(unknown.status, 404);

      await signet.platform.db.query(
        `update signing_tokens set expires_at = now() - interval '1 second' where purpose = 'embedded'`,
      );
      const expired = await signer().get<{ code: string }>(`/api/v1/signing/${token}`);
      assert.equal(expired.status, 410);
      assert.equal(expired.body.code, 'SIGNING_LINK_EXPIRED');
    });

    it('checks field values by type, and required fields at finish', async () => {
      const created = await api.post<Envelope>(
        '/api/v1/envelopes?send=true',
        envelopeJson(pdf, {
          recipients: [{ name: 'F', email: 'fields@x.test' }],
          fields: [
            sigField('fields@x.test'),
            { recipient: 'fields@x.test', type: 'text', page: 1, x: 50, y: 100, width: 200, height: 20 },
            { recipient: 'fields@x.test', type: 'checkbox', page: 1, x: 50, y: 140, width: 12, height: 12 },
          ],
        }),
      );
      const token = await latestTokenFor(api, 'fields@x.test');
      const byType = (type: string) => created.body.fields.find((f) => f.type === type)!.id;
      const s = signer();
      await s.post(`/api/v1/signing/${token}/consent`);
      await openEveryDocument(s, token);

      const unknown = await s.put<{ code: string; errors: { path: string }[] }>(
        `/api/v1/signing/${token}/fields`,
        {
          values: { 'not-a-field': 'x' },
        },
      );
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.code, 'FIELD_UNKNOWN');
      assert.equal(unknown.body.errors[0]!.path, '/values/not-a-field');
      const wrongType = await s.put<{ code: string }>(`/api/v1/signing/${token}/fields`, {
        values: { [byType('checkbox')]: 'yes' },
      });
      assert.equal(wrongType.body.code, 'FIELD_VALUE_INVALID');
      const signatureField = await s.put<{ code: string }>(`/api/v1/signing/${token}/fields`, {
        values: { [byType('signature')]: 'forged' },
      });
      assert.equal(signatureField.body.code, 'FIELD_NOT_EDITABLE');

      const missing = await s.post<{ code: string; errors: { path: string }[] }>(
        `/api/v1/signing/${token}/finish`,
        {
          signature: { kind: 'typed', text: 'F' },
        },
      );
      assert.equal(missing.status, 422);
      assert.equal(missing.body.code, 'FIELDS_REQUIRED');
      assert.deepEqual(
        missing.body.errors.map((e) => e.path),
        [`/values/${byType('text')}`],
      );

      const badPng = await s.post<{ code: string }>(`/api/v1/signing/${token}/finish`, {
        signature: { kind: 'drawn', png: Buffer.from('GIF89a not a png at all').toString('base64') },
      });
      assert.equal(badPng.body.code, 'SIGNATURE_INVALID');
      const nul = await s.put<{ code: string }>(`/api/v1/signing/${token}/fields`, {
        values: { [byType('text')]: 'a\u0000b' },
      });
      assert.equal(nul.status, 400);
      assert.equal(nul.body.code, 'TEXT_INVALID');
      const surrogate = await s.post<{ code: string }>(`/api/v1/signing/${token}/finish`, {
        signature: { kind: 'typed', text: 'F\ud800' },
      });
      assert.equal(surrogate.body.code, 'TEXT_INVALID');
      const noSignature = await s.post<{ code: string }>(`/api/v1/signing/${token}/finish`, {});
      assert.equal(noSignature.body.code, 'VALIDATION_FAILED');

      await s.put(`/api/v1/signing/${token}/fields`, { values: { [byType('text')]: 'ACME-42' } });
      const done = await s.post<{ recipient: { status: string } }>(`/api/v1/signing/${token}/finish`, {
        signature: { kind: 'typed', text: 'F' },
      });
      assert.equal(done.status, 200);
      assert.equal(done.body.recipient.status, 'completed');
    });

    it('expires an envelope past its expiry: its links stop working and the sender is told', async () => {
      const created = await api.post<Envelope>(
        '/api/v1/envelopes?send=true',
        envelopeJson(pdf, {
          recipients: [{ name: 'Late Larry', email: 'late@x.test' }],
          fields: [sigField('late@x.test')],
        }),
      );
      const token = await latestTokenFor(api, 'late@x.test');
      await signet.platform.db.query(
        `update envelopes set expires_at = now() - interval '1 minute' where id = $1`,
        [created.body.id],
      );
      await signet.platform.db.query(
        `update signing_tokens set expires_at = now() - interval '1 minute' where envelope_id = $1`,
        [created.body.id],
      );
      assert.deepEqual(await expireOverdueEnvelopes(signet.platform), [created.body.id]);
      assert.deepEqual(await expireOverdueEnvelopes(signet.platform), [], 'expiring twice does nothing');
      assert.equal((await api.get<Envelope>(`/api/v1/envelopes/${created.body.id}`)).body.status, 'expired');
      const link = await signer().get<{ code: string }>(`/api/v1/signing/${token}`);
      assert.equal(link.status, 410);
      assert.equal(link.body.code, 'SIGNING_LINK_EXPIRED');
      const notice = (await mailsTo(ownerEmail, 'expired')).find(
        (m) => m.subject === 'Expired: Service agreement',
      );
      assert.ok(notice?.text.includes('Late Larry'));
      const audit = await api.get<{ events: { type: string }[]; verified: boolean }>(
        `/api/v1/envelopes/${created.body.id}/audit`,
      );
      assert.ok(audit.body.events.some((e) => e.type === 'envelope.expired'));
      assert.equal(audit.body.verified, true);
    });

    it('tells invited recipients when the sender voids', async () => {
      const created = await api.post<Envelope>(
        '/api/v1/envelopes?send=true',
        envelopeJson(pdf, {
          recipients: [
            { name: 'V1', email: 'void1@x.test', routingOrder: 1 },
            { name: 'V2', email: 'void2@x.test', routingOrder: 2 },
          ],
          fields: [sigField('void1@x.test', 500), sigField('void2@x.test', 600)],
        }),
      );
      await api.post(`/api/v1/envelopes/${created.body.id}/void`, { reason: 'Superseded by v2' });
      const voided = await mailsTo('void1@x.test', 'voided');
      assert.equal(voided.length, 1);
      assert.match(voided[0]!.text, /Superseded by v2/);
      assert.equal((await mailsTo('void2@x.test')).length, 0, 'never-invited recipients hear nothing');
    });

    it('deletes drafts, pages through envelopes with a cursor and filters by status', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++)
        ids.push((await api.post<Envelope>('/api/v1/envelopes', envelopeJson(pdf))).body.id);
      const first = await api.get<{ data: Envelope[]; nextCursor: string | null }>(
        '/api/v1/envelopes?status=draft&limit=2',
      );
      assert.equal(first.body.data.length, 2);
      assert.ok(first.body.nextCursor);
      const second = await api.get<{ data: Envelope[]; nextCursor: string | null }>(
        `/api/v1/envelopes?status=draft&limit=2&cursor=${first.body.nextCursor}`,
      );
      const seen = [...first.body.data, ...second.body.data].map((e) => e.id);
      for (const id of ids) assert.ok(seen.includes(id));
      assert.equal(new Set(seen).size, seen.length, 'no envelope appears on two pages');
      assert.ok([...first.body.data, ...second.body.data].every((e) => e.status === 'draft'));
      assert.equal(
        (await api.get<{ code: string }>('/api/v1/envelopes?cursor=garbage')).body.code,
        'CURSOR_INVALID',
      );

      const zebra = await api.post<Envelope>(
        '/api/v1/envelopes',
        envelopeJson(pdf, {
          title: 'Zebra crossing permit',
          recipients: [{ name: 'Quentin Quagga', email: 'q.quagga@stripes.test' }],
          fields: [],
        }),
      );
      const search = async (q: string) =>
        (await api.get<{ data: Envelope[] }>(`/api/v1/envelopes?q=${encodeURIComponent(q)}`)).body.data.map(
          (e) => e.id,
        );
      assert.deepEqual(await search('ZEBRA'), [zebra.body.id], 'by title, any case');
      assert.deepEqual(await search('quagga'), [zebra.body.id], 'by a recipient’s name');
      assert.deepEqual(await search('@stripes.test'), [zebra.body.id], 'by a recipient’s email');
      assert.deepEqual(
        (await api.get<unknown>('/api/v1/envelopes?q=zebra&status=sent')).body,
        { data: [], nextCursor: null },
        'with the status filter',
      );

      assert.equal((await api.delete(`/api/v1/envelopes/${ids[0]}`)).status, 204);
      assert.equal((await api.get(`/api/v1/envelopes/${ids[0]}`)).status, 404);
      const sent = await api.post<Envelope>(`/api/v1/envelopes/${ids[1]}/send`);
      assert.equal(sent.body.status, 'sent');
      assert.equal(
        (await api.get<{ code: string }>(`/api/v1/envelopes/${ids[1]}/download`)).body.code,
        'ENVELOPE_NOT_COMPLETED',
      );
    });
  });
}
