import type { Sql } from '../db/database.ts';
import {
  documentView,
  type EnvelopeRow,
  type FieldRow,
  fieldView,
  loadDocuments,
  loadEnvelopeById,
  loadFields,
  loadMailFacts,
  loadRecipients,
  type RecipientRow,
  toRouted,
} from '../envelopes/records.ts';
import { everyoneHasActed } from '../envelopes/routing.ts';
import { inviteCurrentRecipients } from '../envelopes/service.ts';
import { assertOpenForSigning } from '../envelopes/state.ts';
import { SignetError } from '../errors.ts';
import { type AuditActor, appendAuditEvent } from '../evidence/auditLog.ts';
import { allPassed, assertIdentityVerified, identityView, loadIdentityChecks } from '../identity/checks.ts';
import { passEmailPossession } from '../identity/emailPossession.ts';
import { settleIdentityTimeouts } from '../identity/timeouts.ts';
import { declinedMail } from '../notify/messages.ts';
import { queueMail } from '../notify/outbox.ts';
import { findOrganization } from '../orgs/organizations.ts';
import type { Platform } from '../platform.ts';
import { type AdoptedSignature, parseAdoptedSignature } from './adoptedSignature.ts';
import { checkRequiredFields, parseFieldValues } from './fieldValues.ts';
import { resolveSigningToken } from './signingTokens.ts';

/**
 * What a signer does through their link (SPEC §B): open, consent, fill fields, finish or
 * decline. Every step is audited with the signer's IP and user agent.
 */
export const CONSENT_TEXT_VERSION = 'esign-consent-v1';
export const CONSENT_TEXT =
  'I agree to use electronic records and signatures, and I understand that my electronic signature ' +
  'is as legally binding as a handwritten one.';

export interface Session {
  envelope: EnvelopeRow;
  recipient: RecipientRow;
}

export async function openSession(
  sql: Sql,
  token: string,
  options: { lock?: boolean } = {},
): Promise<Session> {
  const resolved = await resolveSigningToken(sql, token);
  const envelope = await loadEnvelopeById(sql, resolved.envelopeId, options);
  const recipient = (await loadRecipients(sql, envelope.id)).find((r) => r.id === resolved.recipientId);
  if (!recipient) throw new SignetError('SIGNING_LINK_INVALID', 'This signing link is not valid.');
  return { envelope, recipient };
}

export const recipientActor = (
  recipient: RecipientRow,
  who: { ip: string; userAgent: string },
): AuditActor => ({
  actor: `recipient:${recipient.id}`,
  ip: who.ip,
  userAgent: who.userAgent,
});

export function assertMayAct({ envelope, recipient }: Session) {
  assertOpenForSigning(envelope.status);
  if (recipient.status === 'completed') {
    throw new SignetError('RECIPIENT_ALREADY_COMPLETED', 'You have already completed this envelope.');
  }
  if (recipient.status === 'declined') {
    throw new SignetError('RECIPIENT_DECLINED', 'You declined this envelope.');
  }
  if (recipient.role === 'cc') {
    throw new SignetError(
      'RECIPIENT_CANNOT_SIGN',
      'You receive a copy of this envelope; there is nothing to sign.',
    );
  }
}

/** The signing session: opening it counts as a view (audited each time). */
export async function openSigningSession(
  platform: Platform,
  token: string,
  who: { ip: string; userAgent: string },
) {
  const session = await platform.db.transaction(async (tx) => {
    const s = await openSession(tx, token, { lock: true });
    if (
      s.envelope.status === 'sent' &&
      s.recipient.status !== 'completed' &&
      s.recipient.status !== 'declined'
    ) {
      await tx.query(
        `update recipients set status = case when status = 'sent' then 'delivered' else status end,
                viewed_at = coalesce(viewed_at, now()), last_ip = $2, last_user_agent = $3 where id = $1`,
        [s.recipient.id, who.ip, who.userAgent],
      );
      await appendAuditEvent(tx, s.envelope.id, 'recipient.viewed', recipientActor(s.recipient, who), {
        recipientId: s.recipient.id,
      });
      await passEmailPossession(tx, s, await loadIdentityChecks(tx, s.recipient.id, { lock: true }), who);
    }
    await settleIdentityTimeouts(tx, await loadIdentityChecks(tx, s.recipient.id), s.envelope.id);
    return openSession(tx, token);
  });
  return sessionView(platform, session);
}

/** The checks a request must have passed already: using the link is itself the email proof. */
async function checksBeyondTheLink(sql: Sql, recipientId: string) {
  return (await loadIdentityChecks(sql, recipientId)).filter((c) => c.kind !== 'email');
}

/**
 * What only a verified recipient may do (see the documents, consent, fill in, finish, decline): using the
 * link proves the email method; every other method must have passed already.
 */
async function requireVerifiedIdentity(tx: Sql, session: Session, who: { ip: string; userAgent: string }) {
  const checks = await loadIdentityChecks(tx, session.recipient.id, { lock: true });
  await passEmailPossession(tx, session, checks, who);
  assertIdentityVerified(await loadIdentityChecks(tx, session.recipient.id));
}

async function sessionView(platform: Platform, { envelope, recipient }: Session) {
  const [documents, fields, organization, checks] = await Promise.all([
    loadDocuments(platform.db, envelope.id),
    loadFields(platform.db, envelope.id),
    findOrganization(platform.db, envelope.organization_id),
    loadIdentityChecks(platform.db, recipient.id),
  ]);
  // Until every check has passed the signer sees who asks and what to verify, not the documents.
  const verified = allPassed(checks);
  const canAct =
    verified &&
    envelope.status === 'sent' &&
    recipient.role !== 'cc' &&
    (recipient.status === 'sent' || recipient.status === 'delivered');
  return {
    envelope: {
      id: envelope.id,
      title: envelope.title,
      message: envelope.message,
      status: envelope.status,
      organizationName: organization?.name ?? '',
      sealed: envelope.seal_state === 'done',
    },
    recipient: {
      id: recipient.id,
      name: recipient.name,
      email: recipient.email,
      role: recipient.role,
      status: recipient.status,
      consentedAt: recipient.consented_at ? new Date(recipient.consented_at).toISOString() : null,
      completedAt: recipient.completed_at ? new Date(recipient.completed_at).toISOString() : null,
    },
    consent: { version: CONSENT_TEXT_VERSION, text: CONSENT_TEXT },
    identity: checks.map(identityView),
    identityVerified: verified,
    documents: verified ? documents.map(documentView) : [],
    fields: verified ? fields.filter((f) => f.recipient_id === recipient.id).map(fieldView) : [],
    actions: {
      canSign: canAct,
      canDecline:
        envelope.status === 'sent' &&
        recipient.role !== 'cc' &&
        (recipient.status === 'sent' || recipient.status === 'delivered'),
      canDownloadCompleted: envelope.status === 'completed' && envelope.seal_state === 'done',
    },
  };
}

export async function readSigningDocument(platform: Platform, token: string, documentId: string) {
  const { envelope, recipient } = await openSession(platform.db, token);
  assertIdentityVerified(await checksBeyondTheLink(platform.db, recipient.id));
  const document = (await loadDocuments(platform.db, envelope.id)).find((d) => d.id === documentId);
  if (!document) throw new SignetError('DOCUMENT_NOT_FOUND', 'No such document in this envelope');
  return { name: document.name, bytes: await platform.blobs.get(document.sha256) };
}

export async function readCompletedDocument(platform: Platform, token: string) {
  const { envelope, recipient } = await openSession(platform.db, token);
  assertIdentityVerified(await checksBeyondTheLink(platform.db, recipient.id));
  if (envelope.status !== 'completed' || envelope.seal_state !== 'done' || !envelope.sealed_sha256) {
    throw new SignetError('ENVELOPE_NOT_SEALED', 'The completed document is not ready yet');
  }
  return { title: envelope.title, bytes: await platform.blobs.get(envelope.sealed_sha256) };
}

export async function giveConsent(platform: Platform, token: string, who: { ip: string; userAgent: string }) {
  await platform.db.transaction(async (tx) => {
    const session = await openSession(tx, token, { lock: true });
    assertMayAct(session);
    await requireVerifiedIdentity(tx, session, who);
    if (session.recipient.consented_at) return;
    await tx.query(
      'update recipients set consented_at = now(), last_ip = $2, last_user_agent = $3 where id = $1',
      [session.recipient.id, who.ip, who.userAgent],
    );
    await appendAuditEvent(
      tx,
      session.envelope.id,
      'recipient.consented',
      recipientActor(session.recipient, who),
      {
        recipientId: session.recipient.id,
        consentVersion: CONSENT_TEXT_VERSION,
        consentText: CONSENT_TEXT,
      },
    );
  });
  return openSigningSessionQuietly(platform, token);
}

async function openSigningSessionQuietly(platform: Platform, token: string) {
  return sessionView(platform, await openSession(platform.db, token));
}

export async function saveFieldValues(
  platform: Platform,
  token: string,
  values: unknown,
  who: { ip: string; userAgent: string },
) {
  await platform.db.transaction(async (tx) => {
    const session = await openSession(tx, token, { lock: true });
    assertMayAct(session);
    await requireVerifiedIdentity(tx, session, who);
    const own = (await loadFields(tx, session.envelope.id)).filter(
      (f) => f.recipient_id === session.recipient.id,
    );
    const parsed = parseFieldValues(values, own);
    for (const { field, value } of parsed) {
      await tx.query(
        'update fields set value = $2, filled_at = case when $3 then now() else null end where id = $1',
        [field.id, JSON.stringify({ v: value }), value !== null],
      );
      await appendAuditEvent(
        tx,
        session.envelope.id,
        'field.filled',
        recipientActor(session.recipient, who),
        {
          fieldId: field.id,
          type: field.type,
          value,
        },
      );
    }
  });
  return openSigningSessionQuietly(platform, token);
}

/**
 * Finishing: the recipient adopts their signature (signers), every required field must be
 * filled, and the routing moves on. The last recipient completes the envelope and queues
 * the seal.
 */
export async function finishSigning(
  platform: Platform,
  token: string,
  body: unknown,
  who: { ip: string; userAgent: string },
) {
  // Checked against a snapshot first so that the PNG can be stored outside the transaction.
  const snapshot = await openSession(platform.db, token);
  assertMayAct(snapshot);
  // Identity before anything else is looked at.
  assertIdentityVerified(await checksBeyondTheLink(platform.db, snapshot.recipient.id));
  const signature = snapshot.recipient.role === 'signer' ? parseAdoptedSignature(body) : null;
  const pngSha256 = signature?.kind === 'drawn' ? (await platform.blobs.put(signature.png)).sha256 : null;

  await platform.db.transaction(async (tx) => {
    const session = await openSession(tx, token, { lock: true });
    assertMayAct(session);
    await requireVerifiedIdentity(tx, session, who);
    const { envelope, recipient } = session;
    if (!recipient.consented_at) {
      throw new SignetError('CONSENT_REQUIRED', 'Agree to sign electronically before finishing.');
    }
    if (recipient.status === 'created') {
      throw new SignetError('RECIPIENT_NOT_YET_ACTIVE', 'It is not your turn to sign yet.');
    }
    const own = (await loadFields(tx, envelope.id)).filter((f) => f.recipient_id === recipient.id);
    checkRequiredFields(own);
    await applyAutomaticValues(tx, own, recipient);
    await recordCompletion(tx, recipient, signature, pngSha256, who);
    const action =
      recipient.role === 'signer'
        ? 'recipient.signed'
        : recipient.role === 'approver'
          ? 'recipient.approved'
          : 'recipient.acknowledged';
    await appendAuditEvent(tx, envelope.id, action, recipientActor(recipient, who), {
      recipientId: recipient.id,
      signature: signature ? describeSignature(signature, pngSha256) : null,
      identity: (await loadIdentityChecks(tx, recipient.id)).map((c) => ({
        kind: c.kind,
        status: c.status,
        evidence: c.evidence,
      })),
    });
    await advanceRouting(platform, tx, envelope);
  });
  return openSigningSessionQuietly(platform, token);
}

function describeSignature(signature: AdoptedSignature, pngSha256: string | null) {
  return signature.kind === 'typed' ? { kind: 'typed', text: signature.text } : { kind: 'drawn', pngSha256 };
}

/** Date signed, name and email fields are filled by the platform, never typed by the signer. */
async function applyAutomaticValues(tx: Sql, fields: FieldRow[], recipient: RecipientRow) {
  const today = new Date().toISOString().slice(0, 10);
  const automatic: Partial<Record<FieldRow['type'], string>> = {
    dateSigned: today,
    name: recipient.name,
    email: recipient.email,
  };
  for (const field of fields) {
    const value = automatic[field.type];
    if (value === undefined) continue;
    await tx.query('update fields set value = $2, filled_at = now() where id = $1', [
      field.id,
      JSON.stringify({ v: value }),
    ]);
  }
}

async function recordCompletion(
  tx: Sql,
  recipient: RecipientRow,
  signature: AdoptedSignature | null,
  pngSha256: string | null,
  who: { ip: string; userAgent: string },
) {
  await tx.query(
    `update recipients set status = 'completed', completed_at = now(), signature_kind = $2, signature_text = $3,
            signature_png_sha256 = $4, last_ip = $5, last_user_agent = $6 where id = $1`,
    [
      recipient.id,
      signature?.kind ?? null,
      signature?.kind === 'typed' ? signature.text : null,
      pngSha256,
      who.ip,
      who.userAgent,
    ],
  );
}

async function advanceRouting(platform: Platform, tx: Sql, envelope: EnvelopeRow) {
  const recipients = await loadRecipients(tx, envelope.id);
  if (!everyoneHasActed(recipients.map(toRouted))) {
    await inviteCurrentRecipients(platform, tx, envelope);
    return;
  }
  await tx.query(
    `update envelopes set status = 'completed', completed_at = now(), seal_state = 'pending', seal_requested_at = now()
      where id = $1`,
    [envelope.id],
  );
  await appendAuditEvent(tx, envelope.id, 'envelope.completed', { actor: 'system' }, {});
  await platform.queue.enqueue(tx, 'envelope.seal', { envelopeId: envelope.id });
}

export async function declineSigning(
  platform: Platform,
  token: string,
  reason: string,
  who: { ip: string; userAgent: string },
) {
  await platform.db.transaction(async (tx) => {
    const session = await openSession(tx, token, { lock: true });
    assertMayAct(session);
    // Declining ends the envelope for everyone and mails the reason to them: only the person
    // the sender meant may do it, so their identity checks come first, as for signing.
    await requireVerifiedIdentity(tx, session, who);
    const { envelope, recipient } = session;
    await tx.query(
      `update recipients set status = 'declined', declined_at = now(), decline_reason = $2, last_ip = $3, last_user_agent = $4
        where id = $1`,
      [recipient.id, reason, who.ip, who.userAgent],
    );
    await tx.query(`update envelopes set status = 'declined', declined_at = now() where id = $1`, [
      envelope.id,
    ]);
    await appendAuditEvent(tx, envelope.id, 'recipient.declined', recipientActor(recipient, who), {
      recipientId: recipient.id,
      reason,
    });
    await appendAuditEvent(tx, envelope.id, 'envelope.declined', { actor: 'system' }, { by: recipient.id });
    const facts = await loadMailFacts(tx, envelope);
    const others = (await loadRecipients(tx, envelope.id)).filter(
      (r) => r.id !== recipient.id && r.invited_at !== null,
    );
    const notify = [envelope.sender_email, ...others.map((r) => r.email)].filter((address) => address !== '');
    for (const address of new Set(notify)) {
      await queueMail(
        platform,
        tx,
        { organizationId: envelope.organization_id, envelopeId: envelope.id },
        declinedMail(facts, address, `${recipient.name} <${recipient.email}>`, reason),
      );
    }
  });
  return openSigningSessionQuietly(platform, token);
}
