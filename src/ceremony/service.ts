import type { Sql } from '../db/database.ts';
import type { FieldRow, RecipientRow } from '../envelopes/aggregate/rows.ts';
import {
  assertMayAct,
  openSession,
  recipientActor,
  type Session,
} from '../envelopes/aggregate/signerSession.ts';
import {
  type AdoptedMark,
  assertAllowed,
  documentsNotViewedBy,
  isAllowed,
  loadDocuments,
  loadFields,
  recordConsent,
  recordDecline,
  recordDocumentView,
  recordFinish,
  recordView,
  saveFieldValues as saveFieldValueRows,
} from '../envelopes/aggregate/store.ts';
import { documentView, fieldView } from '../envelopes/records.ts';
import { moveRoutingOn } from '../envelopes/service.ts';
import { SignetError } from '../errors.ts';
import { appendAuditEvent } from '../evidence/auditLog.ts';
import { allPassed, assertIdentityVerified, identityView, loadIdentityChecks } from '../identity/checks.ts';
import { passEmailPossession } from '../identity/emailPossession.ts';
import { settleIdentityTimeouts } from '../identity/timeouts.ts';
import { loadMailFacts } from '../notify/envelopeFacts.ts';
import { declinedMail } from '../notify/messages.ts';
import { queueMail } from '../notify/outbox.ts';
import { brandingFor } from '../orgs/branding.ts';
import { consentFor } from '../orgs/settings.ts';
import { loadSignaturePolicy } from '../orgs/signaturePolicy.ts';
import type { Platform } from '../platform.ts';
import { type AdoptedSignature, parseAdoptedSignature } from './adoptedSignature.ts';
import { checkRequiredFields, parseFieldValues } from './fieldValues.ts';

/**
 * What a signer does through their link (SPEC §B): open, consent, fill fields, finish or
 * decline. Every step is audited with the signer's IP and user agent.
 */
/** The signing session: opening it counts as a view (audited each time). */
export async function openSigningSession(
  platform: Platform,
  token: string,
  who: { ip: string; userAgent: string },
) {
  const session = await platform.db.transaction(async (tx) => {
    const s = await openSession(tx, token, { lock: true });
    // A link opened after the envelope or the recipient is done shows its state; it is no view.
    if (isAllowed(s, { type: 'view', recipientId: s.recipient.id })) {
      await recordView(tx, s, s.recipient.id, who);
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

async function sessionView(platform: Platform, { envelope, recipient, link }: Session) {
  const [documents, fields, brand, consent, checks, notViewed] = await Promise.all([
    loadDocuments(platform.db, envelope.id),
    loadFields(platform.db, envelope.id),
    brandingFor(platform.db, envelope.organization_id),
    consentFor(platform.db, envelope.organization_id),
    loadIdentityChecks(platform.db, recipient.id),
    documentsNotViewedBy(platform.db, envelope.id, recipient.id),
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
      organizationName: brand.organizationName,
      sealed: envelope.seal_state === 'done',
    },
    // White label: the signer sees the organisation's brand, never the platform's.
    brand: { productName: brand.productName, primaryColor: brand.primaryColor, logoUrl: brand.logoUrl },
    recipient: {
      id: recipient.id,
      name: recipient.name,
      email: recipient.email,
      role: recipient.role,
      status: recipient.status,
      consentedAt: recipient.consented_at ? new Date(recipient.consented_at).toISOString() : null,
      completedAt: recipient.completed_at ? new Date(recipient.completed_at).toISOString() : null,
    },
    consent,
    identity: checks.map(identityView),
    identityVerified: verified,
    documents: verified
      ? documents.map((d) => ({
          ...documentView(d),
          pageSizes: d.pages.map(({ width, height, rotation }) => ({ width, height, rotation })),
          viewed: !notViewed.includes(d.id),
        }))
      : [],
    fields: verified ? fields.filter((f) => f.recipient_id === recipient.id).map(fieldView) : [],
    actions: {
      canSign: canAct,
      canDecline:
        envelope.status === 'sent' &&
        recipient.role !== 'cc' &&
        (recipient.status === 'sent' || recipient.status === 'delivered'),
      canDownloadCompleted: envelope.status === 'completed' && envelope.seal_state === 'done',
    },
    link: { purpose: link.purpose, returnUrl: link.returnUrl },
  };
}

/**
 * A document of the envelope, for the recipient to read. The first time a recipient who may
 * still act opens each document is evidence of its own (`document.viewed`), and finishing waits
 * for every document to have been opened (SPEC §B); later fetches, or fetches after the
 * recipient is done, are plain downloads.
 */
export async function readSigningDocument(
  platform: Platform,
  token: string,
  documentId: string,
  who: { ip: string; userAgent: string },
) {
  const { envelope, recipient } = await openSession(platform.db, token);
  assertIdentityVerified(await checksBeyondTheLink(platform.db, recipient.id));
  const document = (await loadDocuments(platform.db, envelope.id)).find((d) => d.id === documentId);
  if (!document) throw new SignetError('DOCUMENT_NOT_FOUND', 'No such document in this envelope');
  // Read before the view is recorded: a document that cannot be delivered was not presented.
  const bytes = await platform.blobs.get(document.sha256);
  await platform.db.transaction(async (tx) => {
    const session = await openSession(tx, token, { lock: true });
    const event = { type: 'viewDocument', recipientId: session.recipient.id } as const;
    if (!isAllowed(session, event)) return;
    if (!(await recordDocumentView(tx, session, session.recipient.id, document.id))) return;
    await appendAuditEvent(tx, envelope.id, 'document.viewed', recipientActor(session.recipient, who), {
      recipientId: session.recipient.id,
      documentId: document.id,
      documentName: document.name,
      sha256: document.sha256,
    });
  });
  return { name: document.name, bytes };
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
    assertAllowed(session, { type: 'consent', recipientId: session.recipient.id });
    await requireVerifiedIdentity(tx, session, who);
    if (session.recipient.consented_at) return;
    // The wording the signer was shown: the organisation's own, else the standard text.
    const consent = await consentFor(tx, session.envelope.organization_id);
    await recordConsent(tx, session, session.recipient.id, who);
    await appendAuditEvent(
      tx,
      session.envelope.id,
      'recipient.consented',
      recipientActor(session.recipient, who),
      {
        recipientId: session.recipient.id,
        consentVersion: consent.version,
        consentText: consent.text,
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
    assertAllowed(session, { type: 'fillFields', recipientId: session.recipient.id });
    await requireVerifiedIdentity(tx, session, who);
    const own = (await loadFields(tx, session.envelope.id)).filter(
      (f) => f.recipient_id === session.recipient.id,
    );
    const parsed = parseFieldValues(values, own);
    await saveFieldValueRows(tx, session, session.recipient.id, parsed);
    for (const { field, value } of parsed) {
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
  // Checked against a snapshot first so that the PNGs can be stored outside the transaction.
  const snapshot = await openSession(platform.db, token);
  assertMayAct(snapshot);
  // Identity before anything else is looked at.
  assertIdentityVerified(await checksBeyondTheLink(platform.db, snapshot.recipient.id));
  const adoption = snapshot.recipient.role === 'signer' ? parseAdoptedSignature(body) : null;
  const signature = adoption ? await storeMark(platform, adoption.signature) : null;
  const initials = adoption?.initials ? await storeMark(platform, adoption.initials) : null;

  await platform.db.transaction(async (tx) => {
    const session = await openSession(tx, token, { lock: true });
    assertMayAct(session);
    await requireVerifiedIdentity(tx, session, who);
    const { envelope, recipient } = session;
    // Consent, the recipient's turn and the documents opened, before the fields: the
    // transition refuses them first.
    const documentsNotViewed = (await documentsNotViewedBy(tx, envelope.id, recipient.id)).length;
    assertAllowed(session, { type: 'finish', recipientId: recipient.id, documentsNotViewed });
    const own = (await loadFields(tx, envelope.id)).filter((f) => f.recipient_id === recipient.id);
    checkRequiredFields(own);
    await recordFinish(tx, session, recipient.id, {
      signature,
      initials,
      automaticValues: automaticValues(own, recipient),
      client: who,
    });
    const action =
      recipient.role === 'signer'
        ? 'recipient.signed'
        : recipient.role === 'approver'
          ? 'recipient.approved'
          : 'recipient.acknowledged';
    await appendAuditEvent(tx, envelope.id, action, recipientActor(recipient, who), {
      recipientId: recipient.id,
      signature: signature ? describeMark(signature) : null,
      ...(initials ? { initials: describeMark(initials) } : {}),
      identity: (await loadIdentityChecks(tx, recipient.id)).map((c) => ({
        kind: c.kind,
        status: c.status,
        evidence: c.evidence,
      })),
    });
    // With per-signer signatures, the signature is made now, over what this signer was shown.
    if (recipient.role === 'signer') {
      const policy = await loadSignaturePolicy(tx, envelope.organization_id);
      if (policy.perSignerSignatures)
        await platform.queue.enqueue(tx, 'envelope.sign', { envelopeId: envelope.id });
    }
    await moveRoutingOn(platform, tx, envelope.id);
  });
  return openSigningSessionQuietly(platform, token);
}

/** Stores the mark's image, if it has one, in the blob store; the record names it by its hash. */
async function storeMark(platform: Platform, mark: AdoptedSignature): Promise<AdoptedMark> {
  const pngSha256 = mark.png ? (await platform.blobs.put(mark.png)).sha256 : null;
  if (mark.kind === 'typed') return { kind: 'typed', text: mark.text, pngSha256 };
  if (!pngSha256) throw new Error(`a ${mark.kind} signature without its image`);
  return { kind: mark.kind, pngSha256 };
}

function describeMark(mark: AdoptedMark) {
  return mark.kind === 'typed'
    ? { kind: 'typed', text: mark.text, ...(mark.pngSha256 ? { pngSha256: mark.pngSha256 } : {}) }
    : { kind: mark.kind, pngSha256: mark.pngSha256 };
}

/** Date signed, name and email fields are filled by the platform, never typed by the signer. */
function automaticValues(fields: FieldRow[], recipient: RecipientRow): { field: FieldRow; value: string }[] {
  const today = new Date().toISOString().slice(0, 10);
  const automatic: Partial<Record<FieldRow['type'], string>> = {
    dateSigned: today,
    name: recipient.name,
    email: recipient.email,
  };
  return fields.flatMap((field) => {
    const value = automatic[field.type];
    return value === undefined ? [] : [{ field, value }];
  });
}

export async function declineSigning(
  platform: Platform,
  token: string,
  reason: string,
  who: { ip: string; userAgent: string },
) {
  await platform.db.transaction(async (tx) => {
    const session = await openSession(tx, token, { lock: true });
    assertAllowed(session, { type: 'decline', recipientId: session.recipient.id });
    // Declining ends the envelope for everyone and mails the reason to them: only the person
    // the sender meant may do it, so their identity checks come first, as for signing.
    await requireVerifiedIdentity(tx, session, who);
    const { envelope, recipient } = session;
    await recordDecline(tx, session, recipient.id, reason, who);
    await appendAuditEvent(tx, envelope.id, 'recipient.declined', recipientActor(recipient, who), {
      recipientId: recipient.id,
      reason,
    });
    await appendAuditEvent(tx, envelope.id, 'envelope.declined', { actor: 'system' }, { by: recipient.id });
    const facts = await loadMailFacts(tx, envelope, platform.config.publicUrl);
    const others = session.recipients.filter((r) => r.id !== recipient.id && r.invited_at !== null);
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
