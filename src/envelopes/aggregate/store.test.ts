import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  createPostgresDatabase,
  type DatabaseKind,
  databaseKinds,
  pgliteTemplate,
} from '../../../test/support/signetHarness.ts';
import { type Database, openDatabase, type Sql } from '../../db/database.ts';
import { migrate } from '../../db/migrate.ts';
import { SignetError } from '../../errors.ts';
import { RowShapeError } from './rows.ts';
import { issueSigningToken, resolveSigningToken } from './signingTokens.ts';
import {
  type Aggregate,
  advanceRouting,
  claimSeal,
  documentsNotViewedBy,
  insertEnvelope,
  listEnvelopeRows,
  loadAggregate,
  loadEnvelopeById,
  loadFields,
  markExpired,
  markInvited,
  markSent,
  markVoided,
  type NewEnvelope,
  recordConsent,
  recordDocumentView,
  recordFinish,
  recordSealed,
  recordSealFailure,
  recordView,
  recoverStalledSeals,
  renewSealLease,
  saveFieldValues,
} from './store.ts';

/*
 * The store against a real database (PGlite, and PostgreSQL when DATABASE_URL is set): each
 * transition is written as `transition` decided it, refusals leave the rows as they were, and
 * rows that drift from their type fail where they are read.
 */

const client = { ip: '192.0.2.7', userAgent: 'store-test' };

function draftFor(organizationId: string): NewEnvelope {
  const id = randomUUID();
  const documentId = randomUUID();
  const first = randomUUID();
  const second = randomUUID();
  const field = (recipientId: string, type: 'signature' | 'text' | 'dateSigned', position: number) => ({
    id: randomUUID(),
    position,
    recipientId,
    documentId,
    type,
    page: 1,
    x: 10,
    y: 10 + position * 40,
    width: 100,
    height: 30,
    required: type !== 'text',
  });
  return {
    id,
    organizationId,
    title: 'Lease',
    message: '',
    senderName: 'Sender',
    senderEmail: 'sender@example.com',
    createdByKey: null,
    documents: [
      {
        id: documentId,
        position: 0,
        name: 'lease.pdf',
        sha256: 'a'.repeat(64),
        size: 1234,
        pages: [{ width: 595, height: 842, rotation: 0 }],
      },
    ],
    recipients: [
      {
        id: first,
        position: 0,
        name: 'Ada',
        email: 'ada@example.com',
        role: 'signer',
        routingOrder: 1,
        identity: [{ kind: 'email' }],
      },
      {
        id: second,
        position: 1,
        name: 'Bob',
        email: 'bob@example.com',
        role: 'signer',
        routingOrder: 2,
        identity: [{ kind: 'email' }],
      },
    ],
    fields: [
      field(first, 'signature', 0),
      field(first, 'text', 1),
      field(first, 'dateSigned', 2),
      field(second, 'signature', 3),
    ],
  };
}

for (const kind of databaseKinds()) {
  describe(`the envelope store on ${kind}`, () => {
    let db: Database;
    let drop: (() => Promise<void>) | undefined;
    let organizationId: string;

    before(async () => {
      db = await open(kind);
      organizationId = randomUUID();
      await db.query(`insert into organizations (id, name) values ($1, 'Acme')`, [organizationId]);
    });
    after(async () => {
      await db?.close();
      await drop?.();
    });

    async function open(which: DatabaseKind): Promise<Database> {
      if (which === 'pglite') return openDatabase({ kind: 'pglite', template: await pgliteTemplate() });
      const created = await createPostgresDatabase();
      drop = created.drop;
      const database = await openDatabase({ kind: 'postgres', url: created.url });
      await migrate(database);
      return database;
    }

    const created = async () => {
      const draft = draftFor(organizationId);
      await db.transaction((tx) => insertEnvelope(tx, draft));
      return draft;
    };
    /** Runs `work` on the locked aggregate in one transaction, as the services do. */
    const change = <T>(envelopeId: string, work: (tx: Sql, aggregate: Aggregate) => Promise<T>) =>
      db.transaction(async (tx) =>
        work(tx, await loadAggregate(tx, await loadEnvelopeById(tx, envelopeId, { lock: true }))),
      );

    /** Moves the routing on and invites whoever is due, as envelopes/service.ts#moveRoutingOn does. */
    const route = (envelopeId: string) =>
      db.transaction(async (tx) => {
        const { aggregate, effects } = await advanceRouting(tx, envelopeId);
        for (const effect of effects) {
          if (effect.kind !== 'invite') continue;
          for (const recipientId of effect.recipientIds) await markInvited(tx, aggregate, recipientId);
        }
        return effects;
      });

    it('carries an envelope from draft to sealed, writing each state the transition decided', async () => {
      const draft = await created();
      const [ada, bob] = draft.recipients.map((r) => r.id) as [string, string];
      const fresh = await change(draft.id, async (_tx, aggregate) => aggregate);
      assert.equal(fresh.envelope.status, 'draft');
      assert.equal(fresh.envelope.seal_state, 'none');
      assert.ok(fresh.envelope.created_at instanceof Date);
      assert.deepEqual(
        fresh.recipients.map((r) => [r.email, r.status, r.invited_at]),
        [
          ['ada@example.com', 'created', null],
          ['bob@example.com', 'created', null],
        ],
      );

      const expiresAt = new Date(Date.now() + 86_400_000);
      await change(draft.id, (tx, aggregate) => markSent(tx, aggregate, expiresAt));
      assert.deepEqual(await route(draft.id), [{ kind: 'invite', recipientIds: [ada] }]);
      let now = await change(draft.id, async (_tx, aggregate) => aggregate);
      assert.equal(now.envelope.status, 'sent');
      assert.equal(now.envelope.expires_at?.getTime(), expiresAt.getTime());
      assert.ok(now.envelope.sent_at instanceof Date);
      assert.deepEqual(
        now.recipients.map((r) => [r.status, r.invited_at instanceof Date]),
        [
          ['sent', true],
          ['created', false],
        ],
      );

      await change(draft.id, (tx, aggregate) => recordView(tx, aggregate, ada, client));
      await change(draft.id, (tx, aggregate) => recordConsent(tx, aggregate, ada, client));
      const fields = await loadFields(db, draft.id);
      const text = fields.find((f) => f.recipient_id === ada && f.type === 'text')!;
      await change(draft.id, (tx, aggregate) =>
        saveFieldValues(tx, aggregate, ada, [{ field: text, value: 'Flat 2' }]),
      );
      now = await change(draft.id, async (_tx, aggregate) => aggregate);
      const viewed = now.recipients.find((r) => r.id === ada)!;
      assert.equal(viewed.status, 'delivered');
      assert.ok(viewed.viewed_at instanceof Date && viewed.consented_at instanceof Date);
      assert.equal(viewed.last_ip, client.ip);
      assert.deepEqual((await loadFields(db, draft.id)).find((f) => f.id === text.id)?.value, {
        v: 'Flat 2',
      });

      const dateField = fields.find((f) => f.recipient_id === ada && f.type === 'dateSigned')!;
      const finishAda = () =>
        change(draft.id, (tx, aggregate) =>
          recordFinish(tx, aggregate, ada, {
            signature: { kind: 'typed', text: 'Ada' },
            automaticValues: [{ field: dateField, value: '2026-12-01' }],
            client,
          }),
        );
      await assert.rejects(finishAda(), { code: 'DOCUMENTS_NOT_VIEWED' });
      const [lease] = draft.documents.map((d) => d.id) as [string];
      assert.deepEqual(await documentsNotViewedBy(db, draft.id, ada), [lease]);
      const firstView = await change(draft.id, (tx, aggregate) =>
        recordDocumentView(tx, aggregate, ada, lease),
      );
      const secondView = await change(draft.id, (tx, aggregate) =>
        recordDocumentView(tx, aggregate, ada, lease),
      );
      assert.deepEqual([firstView, secondView], [true, false], 'only the first view is new');
      assert.deepEqual(await documentsNotViewedBy(db, draft.id, ada), []);
      assert.deepEqual(
        await documentsNotViewedBy(db, draft.id, bob),
        [lease],
        'each recipient opens their own',
      );
      await finishAda();
      now = await change(draft.id, async (_tx, aggregate) => aggregate);
      assert.equal(now.recipients[1]?.status, 'created', 'the routing moves on only when asked');
      assert.deepEqual(await route(draft.id), [{ kind: 'invite', recipientIds: [bob] }]);
      now = await change(draft.id, async (_tx, aggregate) => aggregate);
      assert.equal(now.envelope.status, 'sent');
      assert.deepEqual(
        now.recipients.map((r) => [r.status, r.signature_text]),
        [
          ['completed', 'Ada'],
          ['sent', null],
        ],
      );
      assert.deepEqual((await loadFields(db, draft.id)).find((f) => f.id === dateField.id)?.value, {
        v: '2026-12-01',
      });

      await change(draft.id, (tx, aggregate) => recordConsent(tx, aggregate, bob, client));
      await change(draft.id, (tx, aggregate) => recordDocumentView(tx, aggregate, bob, lease));
      await change(draft.id, (tx, aggregate) =>
        recordFinish(tx, aggregate, bob, {
          signature: { kind: 'drawn', pngSha256: 'b'.repeat(64) },
          initials: { kind: 'uploaded', pngSha256: 'c'.repeat(64) },
          automaticValues: [],
          client,
        }),
      );
      now = await change(draft.id, async (_tx, aggregate) => aggregate);
      assert.equal(now.envelope.status, 'sent', 'the last finish alone does not complete the envelope');
      assert.deepEqual(await route(draft.id), [{ kind: 'queueSeal' }]);
      now = await change(draft.id, async (_tx, aggregate) => aggregate);
      assert.equal(now.envelope.status, 'completed');
      assert.equal(now.envelope.seal_state, 'pending');
      assert.ok(now.envelope.completed_at instanceof Date && now.envelope.seal_requested_at instanceof Date);
      assert.deepEqual(
        [now.recipients[1]?.signature_kind, now.recipients[1]?.signature_png_sha256],
        ['drawn', 'b'.repeat(64)],
      );
      assert.deepEqual(
        [now.recipients[1]?.initials_kind, now.recipients[1]?.initials_png_sha256],
        ['uploaded', 'c'.repeat(64)],
      );

      // The seal: claimed with a lease, not claimed twice, failed, retried, sealed once.
      assert.equal(await claimSeal(db, draft.id), true);
      assert.equal(await claimSeal(db, draft.id), false, 'a live lease is not taken over');
      assert.equal(await renewSealLease(db, draft.id), true);
      let envelope = await loadEnvelopeById(db, draft.id);
      assert.equal(envelope.seal_state, 'running');
      assert.ok(envelope.seal_lease_until && envelope.seal_lease_until.getTime() > Date.now());
      assert.equal(await recordSealFailure(db, draft.id, 'the TSA did not answer'), true);
      envelope = await loadEnvelopeById(db, draft.id);
      assert.deepEqual(
        [envelope.seal_state, envelope.seal_last_error, envelope.seal_lease_until],
        ['failed', 'the TSA did not answer', null],
      );
      assert.equal(await claimSeal(db, draft.id), true, 'a failed seal is retried');
      const stored = { sha256: 'c'.repeat(64), size: 4321 };
      assert.equal(
        await db.transaction(async (tx) =>
          recordSealed(tx, await loadEnvelopeById(tx, draft.id, { lock: true }), stored),
        ),
        true,
      );
      assert.equal(
        await db.transaction(async (tx) =>
          recordSealed(tx, await loadEnvelopeById(tx, draft.id, { lock: true }), stored),
        ),
        false,
      );
      envelope = await loadEnvelopeById(db, draft.id);
      assert.deepEqual(
        [
          envelope.seal_state,
          envelope.seal_attempts,
          envelope.sealed_sha256,
          envelope.sealed_size,
          envelope.seal_last_error,
        ],
        ['done', 2, 'c'.repeat(64), 4321, null],
      );
      assert.equal(await claimSeal(db, draft.id), false, 'a sealed envelope is not sealed again');
      assert.equal(await recordSealFailure(db, draft.id, 'late failure of a slower attempt'), false);
      assert.equal((await loadEnvelopeById(db, draft.id)).seal_state, 'done');
    });

    it('lists envelopes whose title or a recipient’s name or email contains the search, any case', async () => {
      const org = randomUUID();
      await db.query(`insert into organizations (id, name) values ($1, 'Search Ltd')`, [org]);
      const make = async (title: string, recipient: { name: string; email: string }) => {
        const draft = draftFor(org);
        const [first, second] = draft.recipients as [
          NewEnvelope['recipients'][number],
          NewEnvelope['recipients'][number],
        ];
        const envelope = { ...draft, title, recipients: [{ ...first, ...recipient }, second] };
        await db.transaction((tx) => insertEnvelope(tx, envelope));
        return title;
      };
      const lease = await make('Flat lease 2025', { name: 'Grace Hopper', email: 'grace@navy.test' });
      const nda = await make('NDA', { name: 'Ada Lovelace', email: 'ada@engine.test' });
      const discount = await make('Discount 100% off_season', {
        name: 'Alan Turing',
        email: 'alan@bletchley.test',
      });
      const titles = async (search: string, limit = 10) =>
        (await listEnvelopeRows(db, org, { search, limit })).map((row) => row.title).sort();

      assert.deepEqual(await titles('LEASE'), [lease], 'title, ignoring case');
      assert.deepEqual(await titles('lovelace'), [nda], 'a recipient’s name');
      assert.deepEqual(await titles('@NAVY.'), [lease], 'a recipient’s email');
      assert.deepEqual(await titles('bob'), [discount, lease, nda].sort(), 'the second recipient too');
      // As wildcards, '0%' would match 'lease 2025' too and 'e_s' its 'eas'.
      assert.deepEqual(await titles('0%'), [discount], '% is a character, not a wildcard');
      assert.deepEqual(await titles('e_s'), [], '_ is a character, not a wildcard');
      assert.deepEqual(await titles('off_s'), [discount]);
      assert.deepEqual(await titles('nobody'), []);
      assert.deepEqual(
        (await listEnvelopeRows(db, organizationId, { search: 'Hopper', limit: 10 })).map((r) => r.title),
        [],
        'another organisation’s envelopes are not searched',
      );
    });

    it('refuses what the state does not allow and leaves the rows as they were', async () => {
      const draft = await created();
      const before = await change(draft.id, async (_tx, aggregate) => aggregate);
      await assert.rejects(
        change(draft.id, (tx, aggregate) => recordConsent(tx, aggregate, draft.recipients[0]!.id, client)),
        (error: unknown) => error instanceof SignetError && error.code === 'ENVELOPE_NOT_SENT',
      );
      await change(draft.id, (tx, aggregate) => markVoided(tx, aggregate, 'wrong document'));
      await assert.rejects(
        change(draft.id, (tx, aggregate) => markSent(tx, aggregate, new Date())),
        (error: unknown) => error instanceof SignetError && error.code === 'ENVELOPE_ALREADY_SENT',
      );
      const after = await change(draft.id, async (_tx, aggregate) => aggregate);
      assert.equal(after.envelope.status, 'voided');
      assert.equal(after.envelope.void_reason, 'wrong document');
      assert.equal(after.envelope.sent_at, null);
      assert.deepEqual(after.recipients, before.recipients);
    });

    it('expires an overdue envelope and withdraws its signing links', async () => {
      const draft = await created();
      const ada = draft.recipients[0]!.id;
      await change(draft.id, (tx, aggregate) => markSent(tx, aggregate, new Date(Date.now() - 60_000)));
      const token = await db.transaction((tx) =>
        issueSigningToken(tx, {
          envelopeId: draft.id,
          recipientId: ada,
          purpose: 'email',
          expiresAt: new Date(Date.now() + 3_600_000),
        }),
      );
      await assert.rejects(
        change(draft.id, (tx, aggregate) => markExpired(tx, aggregate, new Date(Date.now() - 120_000))),
        (error: unknown) => error instanceof SignetError && error.code === 'ENVELOPE_NOT_DUE_TO_EXPIRE',
      );
      await change(draft.id, (tx, aggregate) => markExpired(tx, aggregate, new Date()));
      assert.equal((await loadEnvelopeById(db, draft.id)).status, 'expired');
      await assert.rejects(
        resolveSigningToken(db, token),
        (error: unknown) => error instanceof SignetError && error.code === 'SIGNING_LINK_REVOKED',
      );
    });

    it('puts a seal whose lease ran out back in the queue, and leaves a live one alone', async () => {
      const stalled = await completed();
      const live = await completed();
      assert.equal(await claimSeal(db, stalled), true);
      assert.equal(await claimSeal(db, live), true);
      // The process sealing `stalled` died: its lease ran out a minute ago.
      await db.query(`update envelopes set seal_lease_until = now() - interval '1 minute' where id = $1`, [
        stalled,
      ]);
      const recovered = await db.transaction((tx) => recoverStalledSeals(tx));
      assert.ok(recovered.includes(stalled));
      assert.ok(!recovered.includes(live));
      const envelope = await loadEnvelopeById(db, stalled);
      assert.deepEqual([envelope.seal_state, envelope.seal_lease_until], ['pending', null]);
      assert.match(envelope.seal_last_error ?? '', /stopped before it finished/);
      assert.equal((await loadEnvelopeById(db, live)).seal_state, 'running');
    });

    async function completed(): Promise<string> {
      const draft = await created();
      await change(draft.id, (tx, aggregate) => markSent(tx, aggregate, new Date(Date.now() + 86_400_000)));
      await route(draft.id);
      for (const recipient of draft.recipients) {
        await change(draft.id, (tx, aggregate) => recordConsent(tx, aggregate, recipient.id, client));
        for (const document of draft.documents) {
          await change(draft.id, (tx, aggregate) =>
            recordDocumentView(tx, aggregate, recipient.id, document.id),
          );
        }
        await change(draft.id, (tx, aggregate) =>
          recordFinish(tx, aggregate, recipient.id, {
            signature: { kind: 'typed', text: recipient.name },
            automaticValues: [],
            client,
          }),
        );
        await route(draft.id);
      }
      assert.equal((await loadEnvelopeById(db, draft.id)).status, 'completed');
      return draft.id;
    }

    it('fails loudly, naming the column, when a row does not have its type’s shape', async () => {
      const draft = await created();
      await db
        .transaction(async (tx) => {
          await tx.query('alter table envelopes rename column void_reason to void_note');
          await assert.rejects(loadEnvelopeById(tx, draft.id), (error: unknown) => {
            assert.ok(error instanceof RowShapeError);
            assert.match(error.message, /envelopes row .*void_reason/);
            return true;
          });
          // Put back by rolling the transaction back.
          throw new Rollback();
        })
        .catch((error: unknown) => {
          if (!(error instanceof Rollback)) throw error;
        });
      assert.equal((await loadEnvelopeById(db, draft.id)).void_reason, null);
    });
  });
}

class Rollback extends Error {}
