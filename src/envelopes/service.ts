import { randomUUID } from 'node:crypto';
import { sha256Hex } from '../blobs/blobStore.ts';
import type { Sql } from '../db/database.ts';
import { type ErrorCode, type FieldProblem, pointer, SignetError } from '../errors.ts';
import { type AuditActor, appendAuditEvent, SYSTEM_ACTOR } from '../evidence/auditLog.ts';
import { createIdentityChecks, publicMethod } from '../identity/checks.ts';
import type { IdentityMethodInput } from '../identity/schema.ts';
import { loadMailFacts } from '../notify/envelopeFacts.ts';
import { type EnvelopeFacts, invitationMail, voidedMail } from '../notify/messages.ts';
import { queueMail } from '../notify/outbox.ts';
import { publicUrlFor } from '../orgs/customDomains.ts';
import { isUuid } from '../orgs/organizations.ts';
import { findSender } from '../orgs/senders.ts';
import { loadEnvelopeDefaults } from '../orgs/settings.ts';
import { fieldFitsPage } from '../pdf/compose.ts';
import type { UploadedPdfInfo } from '../pdf/inspect.ts';
import type { Platform } from '../platform.ts';
import type { EnvelopeRow, RecipientRow } from './aggregate/rows.ts';
import { issueSigningToken } from './aggregate/signingTokens.ts';
import type { EnvelopeStatus } from './aggregate/statuses.ts';
import {
  type Aggregate,
  advanceRouting,
  assertAllowed,
  deleteDraft as deleteDraftRows,
  insertEnvelope,
  listEnvelopeRows,
  loadAggregate,
  loadEnvelope,
  loadFields,
  markInvited,
  markSent,
  markVoided,
} from './aggregate/store.ts';
import { daysFromNow, envelopeSummaryView, envelopeView, expiryFromNow } from './records.ts';
import type { EnvelopeInput } from './schema.ts';

/** Who is asking: an API key of one organisation, from some address. */
export interface SenderContext {
  organizationId: string;
  /** Null when a signed-in staff user acts (the actor says who). */
  apiKeyId: string | null;
  /** The signed-in staff user who acts; null or absent for an API key. */
  userId?: string | null;
  who: AuditActor;
}

export interface UploadedDocument {
  name: string;
  bytes: Uint8Array;
}

/**
 * Creates an envelope (and sends it when asked). Everything is checked before anything is
 * stored: a bad PDF, recipient or field leaves no trace.
 */
export async function createEnvelope(
  platform: Platform,
  sender: SenderContext,
  input: EnvelopeInput,
  uploads: UploadedDocument[],
  options: { send: boolean },
) {
  if (uploads.length === 0) throw new SignetError('DOCUMENT_REQUIRED', 'Attach at least one PDF document');
  // One at a time: a request with many documents takes its turn on the PDF workers instead of
  // filling their queue.
  const inspected: UploadedPdfInfo[] = [];
  for (const [index, upload] of uploads.entries())
    inspected.push(await inspectDocument(platform, upload, index));
  const recipients = input.recipients.map((r, position) => ({
    ...r,
    email: r.email.toLowerCase(),
    position,
    id: randomUUID(),
  }));
  assertUniqueRecipients(recipients);
  await assertProviderConfiguredIfAsked(platform, sender.organizationId, recipients, 'saml');
  await assertProviderConfiguredIfAsked(platform, sender.organizationId, recipients, 'oidc');
  const documents = uploads.map((upload, position) => ({
    id: randomUUID(),
    position,
    name: upload.name,
    bytes: upload.bytes,
    sha256: sha256Hex(upload.bytes),
    pages: inspected[position]!.pages,
  }));
  const fields = resolveFields(input.fields, recipients, documents);

  // Blobs are content-addressed and written before the rows that point at them, so a crash
  // in between leaves at worst an unreferenced encrypted blob, never a row without its file.
  for (const document of documents) await platform.blobs.put(document.bytes);

  // Mail names the person who sends (SPEC §G): the user, the key's maker, else the owner.
  const person = await findSender(platform.db, sender);
  const defaults = await loadEnvelopeDefaults(platform.db, sender.organizationId);
  const envelopeId = randomUUID();
  await platform.db.transaction(async (tx) => {
    await insertEnvelope(tx, {
      id: envelopeId,
      organizationId: sender.organizationId,
      title: input.title,
      message: input.message,
      senderName: person?.name ?? '',
      senderEmail: person?.email ?? '',
      createdByKey: sender.apiKeyId,
      // What the request does not say, the organisation's settings do (PATCH /api/v1/organization).
      expiryDays: input.expiryDays ?? defaults.expiryDays,
      reminders: input.reminders === undefined ? defaults.reminders : input.reminders,
      documents: documents.map((d) => ({ ...d, size: d.bytes.length })),
      recipients: recipients.map((r) => ({
        ...r,
        identity: r.identity.map(publicMethod),
        language: r.language ?? null,
      })),
      fields,
    });
    for (const r of recipients) {
      await createIdentityChecks(
        tx,
        { id: r.id, envelopeId, organizationId: sender.organizationId },
        r.identity,
      );
    }
    await appendAuditEvent(tx, envelopeId, 'envelope.created', sender.who, {
      title: input.title,
      documents: documents.map((d) => ({ id: d.id, name: d.name, sha256: d.sha256, pages: d.pages.length })),
      recipients: recipients.map((r) => ({
        id: r.id,
        email: r.email,
        role: r.role,
        routingOrder: r.routingOrder,
      })),
      fields: fields.length,
    });
    if (options.send) await sendInTransaction(platform, tx, envelopeId, sender);
  });
  return getEnvelope(platform, sender.organizationId, envelopeId);
}

async function inspectDocument(platform: Platform, upload: UploadedDocument, index: number) {
  try {
    return await platform.pdfWork.inspect(upload.bytes);
  } catch (error) {
    if (!(error instanceof SignetError)) throw error;
    throw new SignetError(error.code, `${upload.name}: ${error.detail}`, [
      { path: pointer('documents', index), message: error.detail },
    ]);
  }
}

function assertUniqueRecipients(recipients: { email: string }[]) {
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  recipients.forEach((r, index) => {
    if (seen.has(r.email))
      problems.push({ path: pointer('recipients', index, 'email'), message: 'appears twice' });
    seen.add(r.email);
  });
  if (problems.length > 0) {
    throw new SignetError('RECIPIENT_DUPLICATE', 'Each recipient may appear only once', problems);
  }
}

interface ResolvedField {
  id: string;
  position: number;
  recipientId: string;
  documentId: string;
  type: EnvelopeInput['fields'][number]['type'];
  page: number;
  x: number;
  y: number;
  width: number;
  height: number;
  required: boolean;
}

/** Binds each field to its recipient and document, and checks that its box lies on its page. */
function resolveFields(
  fields: EnvelopeInput['fields'],
  recipients: { id: string; email: string; role: string }[],
  documents: { id: string; name: string; pages: { width: number; height: number; rotation: number }[] }[],
): ResolvedField[] {
  const problems: (FieldProblem & { code: ErrorCode })[] = [];
  const resolved: ResolvedField[] = [];
  fields.forEach((field, index) => {
    const at = (key: string) => pointer('fields', index, key);
    const recipient = recipients.find((r) => r.email === field.recipient.toLowerCase());
    if (!recipient) {
      problems.push({
        code: 'FIELD_UNKNOWN_RECIPIENT',
        path: at('recipient'),
        message: 'is not one of the recipients',
      });
      return;
    }
    if (recipient.role !== 'signer') {
      problems.push({
        code: 'FIELD_RECIPIENT_NOT_SIGNER',
        path: at('recipient'),
        message: `only signers have fields; this recipient is ${recipient.role === 'cc' ? 'a cc' : `an ${recipient.role}`}`,
      });
      return;
    }
    const document =
      typeof field.document === 'number'
        ? documents[field.document]
        : documents.find((d) => d.name === field.document);
    if (!document) {
      problems.push({ code: 'FIELD_UNKNOWN_DOCUMENT', path: at('document'), message: 'no such document' });
      return;
    }
    const page = document.pages[field.page - 1];
    if (!page) {
      problems.push({
        code: 'FIELD_OFF_PAGE',
        path: at('page'),
        message: `the document has ${document.pages.length} page(s)`,
      });
      return;
    }
    if (!fieldFitsPage(field, page)) {
      problems.push({
        code: 'FIELD_OFF_PAGE',
        path: pointer('fields', index),
        message: 'the field box (x, y, width, height) does not lie within the page',
      });
      return;
    }
    resolved.push({
      id: randomUUID(),
      position: index,
      recipientId: recipient.id,
      documentId: document.id,
      type: field.type,
      page: field.page,
      x: field.x,
      y: field.y,
      width: field.width,
      height: field.height,
      // Signature-type fields are always required; a checkbox is optional unless marked.
      required: field.required ?? field.type !== 'checkbox',
    });
  });
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new SignetError(
      first.code,
      'Some fields cannot be placed; see `errors`',
      problems.map(({ path, message }) => ({ path, message })),
    );
  }
  return resolved;
}

export async function getEnvelope(platform: Platform, organizationId: string, envelopeId: string) {
  const envelope = await loadEnvelope(platform.db, organizationId, envelopeId);
  return envelopeView(platform.db, envelope);
}

/** Keyset pagination, newest first; the cursor is opaque to clients. */
export async function listEnvelopes(
  platform: Platform,
  organizationId: string,
  query: { status?: EnvelopeStatus; q?: string; cursor?: string; limit: number },
) {
  const rows = await listEnvelopeRows(platform.db, organizationId, {
    ...(query.status ? { status: query.status } : {}),
    ...(query.q ? { search: query.q } : {}),
    ...(query.cursor ? { after: decodeCursor(query.cursor) } : {}),
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map(envelopeSummaryView),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
  };
}

const encodeCursor = (row: EnvelopeRow) =>
  Buffer.from(`${row.created_at.toISOString()}|${row.id}`).toString('base64url');

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!createdAt || !id || !isUuid(id) || Number.isNaN(Date.parse(createdAt))) {
    throw new SignetError('CURSOR_INVALID', 'The pagination cursor is not valid', [
      { path: '/cursor', in: 'query', message: 'use the nextCursor of a previous page' },
    ]);
  }
  return { createdAt, id };
}

export async function sendEnvelope(platform: Platform, sender: SenderContext, envelopeId: string) {
  await platform.db.transaction(async (tx) => {
    await loadEnvelope(tx, sender.organizationId, envelopeId, { lock: true });
    await sendInTransaction(platform, tx, envelopeId, sender);
  });
  return getEnvelope(platform, sender.organizationId, envelopeId);
}

async function sendInTransaction(platform: Platform, tx: Sql, envelopeId: string, sender: SenderContext) {
  const envelope = await loadEnvelope(tx, sender.organizationId, envelopeId, { lock: true });
  const expiresAt = expiryFromNow(platform.config, envelope.expiry_days);
  const aggregate = await loadAggregate(tx, envelope);
  assertAllowed(aggregate, { type: 'send', expiresAt });
  const { recipients } = aggregate;
  const fields = await loadFields(tx, envelopeId);
  if (recipients.every((r) => r.role === 'cc')) {
    throw new SignetError(
      'NO_ACTIONABLE_RECIPIENT',
      'At least one recipient must sign, approve or view: cc recipients only receive the completed copy',
      [{ path: '/recipients', message: 'only cc recipients' }],
    );
  }
  const unsigned = recipients.filter(
    (r) => r.role === 'signer' && !fields.some((f) => f.recipient_id === r.id && f.type === 'signature'),
  );
  if (unsigned.length > 0) {
    throw new SignetError(
      'SIGNER_WITHOUT_SIGNATURE_FIELD',
      'Every signer needs at least one signature field before the envelope can be sent',
      unsigned.map((r) => ({
        path: pointer('recipients', r.position),
        message: `${r.email} has no signature field`,
      })),
    );
  }
  const firstReminderAt =
    envelope.reminder_first_days === null ? null : daysFromNow(envelope.reminder_first_days);
  await markSent(tx, aggregate, expiresAt, firstReminderAt);
  await appendAuditEvent(tx, envelopeId, 'envelope.sent', sender.who, { expiresAt: expiresAt.toISOString() });
  await moveRoutingOn(platform, tx, envelopeId);
}

/**
 * Moves the routing on after a send or a finish (SPEC §A routing): invites the group that is now
 * due, each recipient with a fresh signing link and an invitation mail; or, everyone who acts
 * having completed, records the completed envelope and queues its seal.
 */
export async function moveRoutingOn(platform: Platform, tx: Sql, envelopeId: string): Promise<void> {
  const { aggregate, effects } = await advanceRouting(tx, envelopeId);
  for (const effect of effects) {
    if (effect.kind === 'invite') await inviteRecipients(platform, tx, aggregate, effect.recipientIds);
    if (effect.kind === 'queueSeal') {
      await appendAuditEvent(tx, envelopeId, 'envelope.completed', SYSTEM_ACTOR, {});
      await platform.queue.enqueue(tx, 'envelope.seal', { envelopeId });
    }
  }
}

async function inviteRecipients(platform: Platform, tx: Sql, aggregate: Aggregate, recipientIds: string[]) {
  const facts = await loadMailFacts(tx, aggregate.envelope, platform.config.publicUrl);
  for (const recipientId of recipientIds) {
    const recipient = aggregate.recipients.find((r) => r.id === recipientId)!;
    await inviteRecipient(platform, tx, aggregate, recipient, facts, false);
  }
}

async function inviteRecipient(
  platform: Platform,
  tx: Sql,
  aggregate: Aggregate,
  recipient: RecipientRow,
  facts: EnvelopeFacts,
  reminder: boolean,
) {
  const { envelope } = aggregate;
  const token = await issueSigningToken(tx, {
    envelopeId: envelope.id,
    recipientId: recipient.id,
    purpose: 'email',
    expiresAt: envelope.expires_at ?? expiryFromNow(platform.config, envelope.expiry_days),
  });
  if (!reminder) await markInvited(tx, aggregate, recipient.id);
  const mail = invitationMail(
    {
      ...facts,
      message: envelope.message,
      recipientName: recipient.name,
      role: recipient.role,
    },
    recipient.email,
    await signingUrl(platform, tx, envelope.organization_id, token),
    reminder,
  );
  await queueMail(platform, tx, { organizationId: envelope.organization_id, envelopeId: envelope.id }, mail);
  await appendAuditEvent(
    tx,
    envelope.id,
    reminder ? 'recipient.reminded' : 'recipient.invited',
    { actor: 'system' },
    {
      recipientId: recipient.id,
      email: recipient.email,
      routingOrder: recipient.routing_order,
    },
  );
}

/** A signing link, on the organisation's custom domain when it has one (SPEC §G). */
export const signingUrl = async (platform: Platform, sql: Sql, organizationId: string, token: string) =>
  `${await publicUrlFor(sql, platform.config.publicUrl, organizationId)}/sign/${token}`;

export async function voidEnvelope(
  platform: Platform,
  sender: SenderContext,
  envelopeId: string,
  reason: string,
) {
  await platform.db.transaction(async (tx) => {
    const envelope = await loadEnvelope(tx, sender.organizationId, envelopeId, { lock: true });
    const aggregate = await loadAggregate(tx, envelope);
    await markVoided(tx, aggregate, reason);
    await appendAuditEvent(tx, envelopeId, 'envelope.voided', sender.who, { reason });
    const facts = await loadMailFacts(tx, envelope, platform.config.publicUrl);
    for (const recipient of aggregate.recipients.filter((r) => r.invited_at !== null)) {
      const mail = voidedMail(facts, recipient.email, reason);
      await queueMail(platform, tx, { organizationId: sender.organizationId, envelopeId }, mail);
    }
  });
  return getEnvelope(platform, sender.organizationId, envelopeId);
}

/** Re-sends the invitation (with a fresh link) to everyone whose turn it is and who has not finished. */
export async function remindEnvelope(platform: Platform, sender: SenderContext, envelopeId: string) {
  return platform.db.transaction(async (tx) => {
    const envelope = await loadEnvelope(tx, sender.organizationId, envelopeId, { lock: true });
    return remindInTransaction(platform, tx, await loadAggregate(tx, envelope), sender.who);
  });
}

/**
 * Reminds, in the caller's transaction on the envelope it locked: the sender's remind and the
 * automatic reminders of the envelope's schedule (reminders.ts) are the same step.
 */
export async function remindInTransaction(
  platform: Platform,
  tx: Sql,
  aggregate: Aggregate,
  who: AuditActor,
) {
  const { envelope } = aggregate;
  assertAllowed(aggregate, { type: 'remind' });
  const facts = await loadMailFacts(tx, envelope, platform.config.publicUrl);
  const pending = aggregate.recipients.filter(
    (r) => r.role !== 'cc' && (r.status === 'sent' || r.status === 'delivered'),
  );
  for (const recipient of pending) {
    await inviteRecipient(platform, tx, aggregate, recipient, facts, true);
  }
  await appendAuditEvent(tx, envelope.id, 'envelope.reminded', who, { recipients: pending.length });
  return { reminded: pending.map((r) => ({ id: r.id, email: r.email })) };
}

export async function deleteDraft(platform: Platform, sender: SenderContext, envelopeId: string) {
  await platform.db.transaction(async (tx) => {
    const envelope = await loadEnvelope(tx, sender.organizationId, envelopeId, { lock: true });
    // A draft was never sent to anyone, so it carries no evidence worth keeping.
    await deleteDraftRows(tx, await loadAggregate(tx, envelope));
  });
}

/** A short-lived link for embedded signing (SPEC §B), for the recipient whose turn it is. */
export async function createEmbeddedSigningUrl(
  platform: Platform,
  sender: SenderContext,
  envelopeId: string,
  recipientId: string,
  options: { returnUrl?: string } = {},
) {
  return platform.db.transaction(async (tx) => {
    const envelope = await loadEnvelope(tx, sender.organizationId, envelopeId, { lock: true });
    assertAllowed(await loadAggregate(tx, envelope), { type: 'issueSigningUrl', recipientId });
    const ttl = platform.config.signingUrlTtlSeconds * 1000;
    const expiresAt = new Date(
      Math.min(Date.now() + ttl, new Date(envelope.expires_at ?? Date.now() + ttl).getTime()),
    );
    const { returnUrl } = options;
    const token = await issueSigningToken(tx, {
      envelopeId,
      recipientId,
      purpose: 'embedded',
      expiresAt,
      ...(returnUrl ? { returnUrl } : {}),
    });
    await appendAuditEvent(tx, envelopeId, 'recipient.signing_url_created', sender.who, {
      recipientId,
      expiresAt: expiresAt.toISOString(),
      ...(returnUrl ? { returnUrl } : {}),
    });
    return {
      url: await signingUrl(platform, tx, envelope.organization_id, token),
      expiresAt: expiresAt.toISOString(),
    };
  });
}

/** SAML and OIDC checks need the organisation's provider: refused now rather than at signing. */
async function assertProviderConfiguredIfAsked(
  platform: Platform,
  organizationId: string,
  recipients: { identity: IdentityMethodInput[] }[],
  kind: 'saml' | 'oidc',
): Promise<void> {
  const index = recipients.findIndex((r) => r.identity.some((m) => m.kind === kind));
  if (index < 0) return;
  const table = kind === 'saml' ? 'saml_identity_providers' : 'oidc_providers';
  const [configured] = await platform.db.query(`select 1 from ${table} where organization_id = $1`, [
    organizationId,
  ]);
  if (configured) return;
  const detail = `Configure the organisation's ${kind === 'saml' ? 'SAML identity provider' : 'OpenID Connect provider'} first (PUT /api/v1/identity-providers/${kind}).`;
  throw new SignetError(kind === 'saml' ? 'SAML_NOT_CONFIGURED' : 'OIDC_NOT_CONFIGURED', detail, [
    { path: pointer('recipients', index, 'identity'), message: detail },
  ]);
}
