import type { z } from 'zod';
import type { Database, Sql } from '../../db/database.ts';
import { SignetError } from '../../errors.ts';
import { isUuid } from '../../orgs/organizations.ts';
import {
  type DocumentRow,
  documentRowSchema,
  type EnvelopeRow,
  envelopeRowSchema,
  type FieldRow,
  type FieldValue,
  fieldRowSchema,
  parseRows,
  type RecipientRow,
  recipientRowSchema,
} from './rows.ts';
import { revokeEnvelopeTokens } from './signingTokens.ts';
import type { EnvelopeStatus, FieldType, RecipientRole } from './statuses.ts';
import {
  type Effect,
  type EnvelopeEvent,
  type EnvelopeState,
  INITIAL_STATUS,
  type Transition,
  transition,
} from './transitions.ts';

/*
 * Every SQL statement that writes the envelope aggregate's tables (envelopes, documents,
 * recipients, fields, document_views; signing_tokens in signingTokens.ts) and the reads that parse their rows.
 * Each write of a status runs `transition` first and stores the state it returns, inside the
 * caller's transaction, on an envelope row the caller locked (`loadEnvelope(…, { lock: true })`):
 * the lock serialises every change to one envelope, so parallel signers cannot both be "last".
 */

/** An envelope with its recipients, as loaded (under the caller's lock) for a transition. */
export interface Aggregate {
  envelope: EnvelopeRow;
  recipients: RecipientRow[];
}

/** Who acted, from where: stored on the recipient as their last address and user agent. */
export interface Client {
  ip: string;
  userAgent: string;
}

// Reading.

export const envelopeNotFound = () => new SignetError('ENVELOPE_NOT_FOUND', 'No such envelope');

const envelopeRows = async (sql: Sql, text: string, params: unknown[]) =>
  parseRows('envelopes', envelopeRowSchema, await sql.query(text, params));

/** Loads an envelope of this organisation; another organisation's id is indistinguishable from none. */
export async function loadEnvelope(
  sql: Sql,
  organizationId: string,
  envelopeId: string,
  options: { lock?: boolean } = {},
): Promise<EnvelopeRow> {
  if (!isUuid(envelopeId)) throw envelopeNotFound();
  const [row] = await envelopeRows(
    sql,
    `select * from envelopes where id = $1 and organization_id = $2${options.lock ? ' for update' : ''}`,
    [envelopeId, organizationId],
  );
  if (!row) throw envelopeNotFound();
  return row;
}

/** Loads an envelope by id alone: for the system (jobs) and for a signing link already resolved. */
export async function loadEnvelopeById(
  sql: Sql,
  envelopeId: string,
  options: { lock?: boolean } = {},
): Promise<EnvelopeRow> {
  const [row] = await envelopeRows(
    sql,
    `select * from envelopes where id = $1${options.lock ? ' for update' : ''}`,
    [envelopeId],
  );
  if (!row) throw envelopeNotFound();
  return row;
}

export const loadDocuments = async (sql: Sql, envelopeId: string): Promise<DocumentRow[]> =>
  parseRows(
    'documents',
    documentRowSchema,
    await sql.query(
      'select id, position, name, sha256, size, page_count, pages from documents where envelope_id = $1 order by position',
      [envelopeId],
    ),
  );

export const loadRecipients = async (sql: Sql, envelopeId: string): Promise<RecipientRow[]> =>
  parseRows(
    'recipients',
    recipientRowSchema,
    await sql.query('select * from recipients where envelope_id = $1 order by routing_order, position', [
      envelopeId,
    ]),
  );

export const loadFields = async (sql: Sql, envelopeId: string): Promise<FieldRow[]> =>
  parseRows(
    'fields',
    fieldRowSchema,
    await sql.query(
      'select id, recipient_id, document_id, position, type, page, x, y, width, height, required, value, filled_at from fields where envelope_id = $1 order by position',
      [envelopeId],
    ),
  );

export async function loadAggregate(sql: Sql, envelope: EnvelopeRow): Promise<Aggregate> {
  return { envelope, recipients: await loadRecipients(sql, envelope.id) };
}

/** `text` as a LIKE pattern that matches it anywhere, its own `%`, `_` and `\` taken literally. */
const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * One page of an organisation's envelopes, newest first, after a keyset position; `search`
 * keeps those whose title or a recipient's name or email contains it, ignoring case.
 */
export async function listEnvelopeRows(
  sql: Sql,
  organizationId: string,
  query: {
    status?: EnvelopeStatus;
    search?: string;
    after?: { createdAt: string; id: string };
    limit: number;
  },
): Promise<EnvelopeRow[]> {
  const params: unknown[] = [organizationId];
  let where = 'organization_id = $1';
  if (query.status) {
    params.push(query.status);
    where += ` and status = $${params.length}`;
  }
  if (query.search) {
    params.push(containsPattern(query.search));
    const p = `$${params.length}`;
    where += ` and (title ilike ${p} or exists (select 1 from recipients r where r.envelope_id = envelopes.id and (r.name ilike ${p} or r.email ilike ${p})))`;
  }
  if (query.after) {
    params.push(query.after.createdAt, query.after.id);
    where += ` and (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  params.push(query.limit);
  return envelopeRows(
    sql,
    `select * from envelopes where ${where} order by created_at desc, id desc limit $${params.length}`,
    params,
  );
}

/** Envelopes still in progress past their expiry, oldest expiry first. */
export async function overdueEnvelopeIds(sql: Sql, limit: number): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `select id from envelopes where status = 'sent' and expires_at < now() order by expires_at limit $1`,
    [limit],
  );
  return rows.map((row) => row.id);
}

// Deciding.

export function stateOf({ envelope, recipients }: Aggregate): EnvelopeState {
  return {
    status: envelope.status,
    expiresAt: envelope.expires_at,
    seal: envelope.seal_state,
    sealLeaseUntil: envelope.seal_lease_until,
    recipients: recipients.map((r) => ({
      id: r.id,
      role: r.role,
      routingOrder: r.routing_order,
      status: r.status,
      consented: r.consented_at !== null,
    })),
  };
}

type Allowed = Extract<Transition, { allowed: true }>;

/** The transition `event` makes, or its refusal thrown as a SignetError. */
export function decide(aggregate: Aggregate, event: EnvelopeEvent): Allowed {
  const decided = transition(stateOf(aggregate), event);
  if (!decided.allowed) throw new SignetError(decided.refusal.code, decided.refusal.detail);
  return decided;
}

/** Refuses what the envelope's state does not allow, for events that change no state (remind, signing URLs). */
export function assertAllowed(aggregate: Aggregate, event: EnvelopeEvent): void {
  decide(aggregate, event);
}

export const isAllowed = (aggregate: Aggregate, event: EnvelopeEvent) =>
  transition(stateOf(aggregate), event).allowed;

const recipientOf = (state: EnvelopeState, recipientId: string) => {
  const recipient = state.recipients.find((r) => r.id === recipientId);
  if (!recipient) throw new Error(`transition lost recipient ${recipientId}`);
  return recipient;
};

/**
 * Carries out the effects that touch only the aggregate's tables; returns every effect, for the
 * caller to do the rest (invite: links, mails, audit; queue the seal).
 */
async function applyCommonEffects(tx: Sql, envelopeId: string, decided: Allowed): Promise<Effect[]> {
  for (const effect of decided.effects) {
    if (effect.kind === 'revokeSigningLinks') await revokeEnvelopeTokens(tx, envelopeId);
    if (effect.kind === 'deleteEnvelope') await tx.query('delete from envelopes where id = $1', [envelopeId]);
  }
  return decided.effects;
}

// Creating.

export interface NewEnvelope {
  id: string;
  organizationId: string;
  title: string;
  message: string;
  senderName: string;
  senderEmail: string;
  createdByKey: string | null;
  /** Days from sending until expiry; null: the platform's ENVELOPE_EXPIRY_DAYS. */
  expiryDays?: number | null;
  /** Automatic reminders: the first after N days, then every M (null: once); null: none. */
  reminders?: { firstAfterDays: number; everyDays: number | null } | null;
  documents: {
    id: string;
    position: number;
    name: string;
    sha256: string;
    size: number;
    pages: { width: number; height: number; rotation: number }[];
  }[];
  recipients: {
    id: string;
    position: number;
    name: string;
    email: string;
    role: RecipientRole;
    routingOrder: number;
    /** The identity methods asked for, without their secrets. */
    identity: { kind: string }[];
    /** The language of the recipient's mail; null or absent: the organisation's default. */
    language?: string | null;
  }[];
  fields: {
    id: string;
    position: number;
    recipientId: string;
    documentId: string;
    type: FieldType;
    page: number;
    x: number;
    y: number;
    width: number;
    height: number;
    required: boolean;
  }[];
}

/** Inserts a draft with its documents, recipients and fields. */
export async function insertEnvelope(tx: Sql, draft: NewEnvelope): Promise<void> {
  await tx.query(
    `insert into envelopes (id, organization_id, title, message, status, seal_state, sender_name, sender_email, created_by_key,
                            expiry_days, reminder_first_days, reminder_every_days)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      draft.id,
      draft.organizationId,
      draft.title,
      draft.message,
      INITIAL_STATUS.envelope,
      INITIAL_STATUS.seal,
      draft.senderName,
      draft.senderEmail,
      draft.createdByKey,
      draft.expiryDays ?? null,
      draft.reminders?.firstAfterDays ?? null,
      draft.reminders?.everyDays ?? null,
    ],
  );
  for (const d of draft.documents) {
    await tx.query(
      `insert into documents (id, envelope_id, organization_id, position, name, sha256, size, page_count, pages)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        d.id,
        draft.id,
        draft.organizationId,
        d.position,
        d.name,
        d.sha256,
        d.size,
        d.pages.length,
        JSON.stringify(d.pages),
      ],
    );
  }
  for (const r of draft.recipients) {
    await tx.query(
      `insert into recipients (id, envelope_id, organization_id, position, name, email, role, routing_order, status, identity, language)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        r.id,
        draft.id,
        draft.organizationId,
        r.position,
        r.name,
        r.email,
        r.role,
        r.routingOrder,
        INITIAL_STATUS.recipient,
        JSON.stringify(r.identity),
        r.language ?? null,
      ],
    );
  }
  for (const f of draft.fields) {
    await tx.query(
      `insert into fields (id, envelope_id, organization_id, recipient_id, document_id, position, type, page, x, y, width, height, required)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        f.id,
        draft.id,
        draft.organizationId,
        f.recipientId,
        f.documentId,
        f.position,
        f.type,
        f.page,
        f.x,
        f.y,
        f.width,
        f.height,
        f.required,
      ],
    );
  }
}

// The sender.

/**
 * Sends the envelope; `advanceRouting` then names the first group to invite. `firstReminderAt`
 * starts its reminder schedule (null: none).
 */
export async function markSent(
  tx: Sql,
  aggregate: Aggregate,
  expiresAt: Date,
  firstReminderAt: Date | null = null,
): Promise<void> {
  const decided = decide(aggregate, { type: 'send', expiresAt });
  await tx.query(
    'update envelopes set status = $2, sent_at = now(), expires_at = $3, next_reminder_at = $4 where id = $1',
    [aggregate.envelope.id, decided.state.status, decided.state.expiresAt, firstReminderAt],
  );
}

/** Envelopes in progress whose next automatic reminder is due, the longest due first. */
export async function dueReminderEnvelopeIds(sql: Sql, limit: number): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `select id from envelopes where status = 'sent' and next_reminder_at <= now() order by next_reminder_at limit $1`,
    [limit],
  );
  return rows.map((row) => row.id);
}

/** After an automatic reminder: when the next is due (null: no more). */
export async function scheduleNextReminder(tx: Sql, aggregate: Aggregate, next: Date | null): Promise<void> {
  decide(aggregate, { type: 'remind' });
  await tx.query('update envelopes set next_reminder_at = $2 where id = $1', [aggregate.envelope.id, next]);
}

/**
 * Moves the routing on, on the envelope as it now stands (re-read under the caller's lock):
 * completes it once everyone who acts has completed, or returns the group due for invitation.
 */
export async function advanceRouting(
  tx: Sql,
  envelopeId: string,
): Promise<{ aggregate: Aggregate; effects: Effect[] }> {
  const aggregate = await loadAggregate(tx, await loadEnvelopeById(tx, envelopeId, { lock: true }));
  const decided = decide(aggregate, { type: 'advanceRouting' });
  if (decided.state.status !== aggregate.envelope.status) {
    await tx.query(
      `update envelopes set status = $2, completed_at = now(), seal_state = $3, seal_requested_at = now()
        where id = $1`,
      [envelopeId, decided.state.status, decided.state.seal],
    );
  }
  return { aggregate, effects: decided.effects };
}

/** Marks one recipient of the group that is due as invited. */
export async function markInvited(tx: Sql, aggregate: Aggregate, recipientId: string): Promise<void> {
  const decided = decide(aggregate, { type: 'invite', recipientId });
  await tx.query('update recipients set status = $2, invited_at = now() where id = $1', [
    recipientId,
    recipientOf(decided.state, recipientId).status,
  ]);
}

/** Voids the envelope and withdraws every signing link. */
export async function markVoided(tx: Sql, aggregate: Aggregate, reason: string): Promise<Effect[]> {
  const decided = decide(aggregate, { type: 'void' });
  await tx.query('update envelopes set status = $2, voided_at = now(), void_reason = $3 where id = $1', [
    aggregate.envelope.id,
    decided.state.status,
    reason,
  ]);
  return applyCommonEffects(tx, aggregate.envelope.id, decided);
}

/** Deletes a draft with everything in it. */
export async function deleteDraft(tx: Sql, aggregate: Aggregate): Promise<void> {
  await applyCommonEffects(tx, aggregate.envelope.id, decide(aggregate, { type: 'delete' }));
}

// The system.

/** The database's clock: leases and expiry are judged by one clock whichever instance asks. */
export async function databaseNow(sql: Sql): Promise<Date> {
  const [row] = await sql.query<{ now: Date }>('select clock_timestamp() as now');
  return new Date(row!.now);
}

/** Expires an envelope in progress whose expiry passed; withdraws its signing links. */
export async function markExpired(tx: Sql, aggregate: Aggregate, now: Date): Promise<Effect[]> {
  const decided = decide(aggregate, { type: 'expire', now });
  await tx.query('update envelopes set status = $2 where id = $1', [
    aggregate.envelope.id,
    decided.state.status,
  ]);
  return applyCommonEffects(tx, aggregate.envelope.id, decided);
}

// A recipient, through their signing link.

/** Records that the recipient opened their link (the first time, the time; always, the client). */
export async function recordView(tx: Sql, aggregate: Aggregate, recipientId: string, client: Client) {
  const decided = decide(aggregate, { type: 'view', recipientId });
  await tx.query(
    `update recipients set status = $2, viewed_at = coalesce(viewed_at, now()), last_ip = $3, last_user_agent = $4
      where id = $1`,
    [recipientId, recipientOf(decided.state, recipientId).status, client.ip, client.userAgent],
  );
}

export async function recordConsent(tx: Sql, aggregate: Aggregate, recipientId: string, client: Client) {
  decide(aggregate, { type: 'consent', recipientId });
  await tx.query(
    'update recipients set consented_at = now(), last_ip = $2, last_user_agent = $3 where id = $1',
    [recipientId, client.ip, client.userAgent],
  );
}

/** Stores values the recipient typed into their own fields; null clears a field. */
export async function saveFieldValues(
  tx: Sql,
  aggregate: Aggregate,
  recipientId: string,
  values: { field: FieldRow; value: FieldValue }[],
): Promise<void> {
  decide(aggregate, { type: 'fillFields', recipientId });
  for (const { field, value } of values) {
    assertOwnField(field, recipientId);
    await tx.query(
      'update fields set value = $2, filled_at = case when $3 then now() else null end where id = $1',
      [field.id, JSON.stringify({ v: value }), value !== null],
    );
  }
}

/**
 * A signature or initials as the recipient adopted it: typed text — with the image of it the
 * signer saw, in the handwriting font they chose, when their browser drew one — or an image
 * they drew or uploaded (its blob's SHA-256).
 */
export type AdoptedMark =
  | { kind: 'typed'; text: string; pngSha256?: string | null }
  | { kind: 'drawn' | 'uploaded'; pngSha256: string };

export interface Completion {
  signature: AdoptedMark | null;
  /** Initials adopted on their own; without them, initials fields show the signature's. */
  initials?: AdoptedMark | null;
  /** Values the platform fills at finish (date signed, name, email). */
  automaticValues: { field: FieldRow; value: string }[];
  client: Client;
}

/**
 * The recipient finishes: their automatic fields are filled and they complete (then
 * `advanceRouting`). Refused until they opened every document (`recordDocumentView`).
 */
export async function recordFinish(
  tx: Sql,
  aggregate: Aggregate,
  recipientId: string,
  completion: Completion,
): Promise<void> {
  const documentsNotViewed = (await documentsNotViewedBy(tx, aggregate.envelope.id, recipientId)).length;
  const decided = decide(aggregate, { type: 'finish', recipientId, documentsNotViewed });
  for (const { field, value } of completion.automaticValues) {
    assertOwnField(field, recipientId);
    await tx.query('update fields set value = $2, filled_at = now() where id = $1', [
      field.id,
      JSON.stringify({ v: value }),
    ]);
  }
  const { signature, initials, client } = completion;
  await tx.query(
    `update recipients set status = $2, completed_at = now(), signature_kind = $3, signature_text = $4,
            signature_png_sha256 = $5, initials_kind = $6, initials_text = $7, initials_png_sha256 = $8,
            last_ip = $9, last_user_agent = $10 where id = $1`,
    [
      recipientId,
      recipientOf(decided.state, recipientId).status,
      ...markColumns(signature),
      ...markColumns(initials ?? null),
      client.ip,
      client.userAgent,
    ],
  );
}

/** kind, text, PNG hash: the three columns each adopted mark is stored in. */
function markColumns(mark: AdoptedMark | null): [string | null, string | null, string | null] {
  if (!mark) return [null, null, null];
  return [mark.kind, mark.kind === 'typed' ? mark.text : null, mark.pngSha256 ?? null];
}

/**
 * Records that the recipient opened one of the envelope's documents through their link; true the
 * first time (the caller then audits it), false when they had opened it before.
 */
export async function recordDocumentView(
  tx: Sql,
  aggregate: Aggregate,
  recipientId: string,
  documentId: string,
): Promise<boolean> {
  decide(aggregate, { type: 'viewDocument', recipientId });
  const inserted = await tx.query(
    `insert into document_views (envelope_id, recipient_id, document_id) values ($1, $2, $3)
       on conflict (recipient_id, document_id) do nothing
     returning document_id`,
    [aggregate.envelope.id, recipientId, documentId],
  );
  return inserted.length > 0;
}

/** The ids of the envelope's documents the recipient has not opened yet, in document order. */
export async function documentsNotViewedBy(
  sql: Sql,
  envelopeId: string,
  recipientId: string,
): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `select d.id from documents d
      where d.envelope_id = $1
        and not exists (select 1 from document_views v where v.document_id = d.id and v.recipient_id = $2)
      order by d.position`,
    [envelopeId, recipientId],
  );
  return rows.map((row) => row.id);
}

/** The recipient declines: the envelope ends for everyone. */
export async function recordDecline(
  tx: Sql,
  aggregate: Aggregate,
  recipientId: string,
  reason: string,
  client: Client,
): Promise<void> {
  const decided = decide(aggregate, { type: 'decline', recipientId });
  await tx.query(
    `update recipients set status = $2, declined_at = now(), decline_reason = $3, last_ip = $4, last_user_agent = $5
      where id = $1`,
    [recipientId, recipientOf(decided.state, recipientId).status, reason, client.ip, client.userAgent],
  );
  await tx.query('update envelopes set status = $2, declined_at = now() where id = $1', [
    aggregate.envelope.id,
    decided.state.status,
  ]);
}

function assertOwnField(field: FieldRow, recipientId: string) {
  if (field.recipient_id !== recipientId)
    throw new Error(`field ${field.id} is not recipient ${recipientId}'s`);
}

// The seal job (envelopes/sealing.ts). Each step locks the envelope row for its decision.

async function withLockedEnvelope<T>(
  db: Database,
  envelopeId: string,
  work: (tx: Sql, aggregate: Aggregate, now: Date) => Promise<T>,
): Promise<T | undefined> {
  return db.transaction(async (tx) => {
    const [envelope] = await envelopeRows(tx, 'select * from envelopes where id = $1 for update', [
      envelopeId,
    ]);
    // An envelope deleted meanwhile (its organisation was) has nothing left to seal.
    if (!envelope) return undefined;
    return work(tx, { envelope, recipients: [] }, await databaseNow(tx));
  });
}

const sealStep = async (
  db: Database,
  envelopeId: string,
  work: (tx: Sql, aggregate: Aggregate, now: Date) => Promise<boolean>,
): Promise<boolean> => (await withLockedEnvelope(db, envelopeId, work)) ?? false;

/**
 * Takes the envelope's seal for this process, with a lease: false when there is nothing to seal
 * (not completed, already sealed) or another process holds a live lease.
 */
export async function claimSeal(db: Database, envelopeId: string): Promise<boolean> {
  return sealStep(db, envelopeId, async (tx, aggregate, now) => {
    const decided = transition(stateOf(aggregate), { type: 'claimSeal', now });
    if (!decided.allowed) return false;
    await tx.query(
      'update envelopes set seal_state = $2, seal_attempts = seal_attempts + 1, seal_lease_until = $3 where id = $1',
      [envelopeId, decided.state.seal, decided.state.sealLeaseUntil],
    );
    return true;
  });
}

/** Extends a running seal's lease; false when the seal no longer runs. */
export async function renewSealLease(db: Database, envelopeId: string): Promise<boolean> {
  return sealStep(db, envelopeId, async (tx, aggregate, now) => {
    const decided = transition(stateOf(aggregate), { type: 'renewSealLease', now });
    if (!decided.allowed) return false;
    await tx.query('update envelopes set seal_lease_until = $2 where id = $1', [
      envelopeId,
      decided.state.sealLeaseUntil,
    ]);
    return true;
  });
}

/** Records a failed seal for operators (the queue retries it); false when the seal no longer runs here. */
export async function recordSealFailure(db: Database, envelopeId: string, message: string): Promise<boolean> {
  return sealStep(db, envelopeId, async (tx, aggregate) => {
    const decided = transition(stateOf(aggregate), { type: 'sealFailed' });
    if (!decided.allowed) return false;
    await tx.query(
      'update envelopes set seal_state = $2, seal_last_error = $3, seal_lease_until = $4 where id = $1',
      [envelopeId, decided.state.seal, message.slice(0, 1000), decided.state.sealLeaseUntil],
    );
    return true;
  });
}

/** Records the sealed document on a locked envelope; false when it was sealed already. */
export async function recordSealed(
  tx: Sql,
  envelope: EnvelopeRow,
  stored: { sha256: string; size: number },
): Promise<boolean> {
  const decided = transition(stateOf({ envelope, recipients: [] }), { type: 'sealed' });
  if (!decided.allowed) {
    if (decided.refusal.code === 'SEAL_ALREADY_DONE') return false;
    throw new SignetError(decided.refusal.code, decided.refusal.detail);
  }
  await tx.query(
    `update envelopes set seal_state = $2, sealed_at = now(), sealed_sha256 = $3, sealed_size = $4,
            seal_last_error = null, seal_lease_until = $5 where id = $1`,
    [envelope.id, decided.state.seal, stored.sha256, stored.size, decided.state.sealLeaseUntil],
  );
  // Version 1 is the seal's. A seal made again after its envelope lost the result (a repair by
  // hand, or a test's simulated crash) restates it; renewals add versions and never do this.
  await tx.query(
    `insert into sealed_versions (envelope_id, version, sha256, size, reason) values ($1, 1, $2, $3, 'seal')
     on conflict (envelope_id, version) do update
       set sha256 = excluded.sha256, size = excluded.size, created_at = now(),
           archive_expires_at = null, archive_checked_at = null`,
    [envelope.id, stored.sha256, stored.size],
  );
  return true;
}

/**
 * A renewal's new sealed version (envelopes/archiveRenewal.ts) becomes the one the envelope
 * gives out; the seal's own record (state, time) is unchanged.
 */
export async function recordRenewedSeal(
  tx: Sql,
  envelopeId: string,
  stored: { sha256: string; size: number },
) {
  await tx.query('update envelopes set sealed_sha256 = $2, sealed_size = $3 where id = $1', [
    envelopeId,
    stored.sha256,
    stored.size,
  ]);
}

/**
 * Seals whose lease ran out unrenewed (their process died) go back to pending; returns their
 * envelope ids, whose seal the caller queues again in the same transaction.
 */
export async function recoverStalledSeals(tx: Sql): Promise<string[]> {
  const now = await databaseNow(tx);
  const stalled = await envelopeRows(
    tx,
    `select * from envelopes where status = 'completed' and seal_state = 'running' and seal_lease_until < $1
      for update skip locked`,
    [now],
  );
  const recovered: string[] = [];
  for (const envelope of stalled) {
    const decided = transition(stateOf({ envelope, recipients: [] }), { type: 'recoverStalledSeal', now });
    if (!decided.allowed) continue;
    await tx.query(
      `update envelopes set seal_state = $2, seal_lease_until = $3,
              seal_last_error = 'the sealing process stopped before it finished; sealing again'
        where id = $1`,
      [envelope.id, decided.state.seal, decided.state.sealLeaseUntil],
    );
    recovered.push(envelope.id);
  }
  return recovered;
}

// The audit chain's head (evidence/auditLog.ts), kept on the envelope so that deleting the
// newest events is detected too.

const auditHeadSchema = envelopeRowSchema.pick({
  organization_id: true,
  audit_count: true,
  audit_head_hash: true,
});
export type AuditHead = z.infer<typeof auditHeadSchema>;

/** The chain's head, locked for an append (`for update`) or for a consistent check (`for share`). */
export async function lockAuditHead(
  tx: Sql,
  envelopeId: string,
  mode: 'update' | 'share',
): Promise<AuditHead | undefined> {
  const [head] = parseRows(
    'envelopes',
    auditHeadSchema,
    await tx.query(
      `select organization_id, audit_count, audit_head_hash from envelopes where id = $1 for ${mode}`,
      [envelopeId],
    ),
  );
  return head;
}

export async function recordAuditHead(
  tx: Sql,
  envelopeId: string,
  count: number,
  hash: string,
): Promise<void> {
  await tx.query('update envelopes set audit_count = $2, audit_head_hash = $3 where id = $1', [
    envelopeId,
    count,
    hash,
  ]);
}
