import { sha256Hex } from '../blobs/blobStore.ts';
import { appendAuditEvent, SYSTEM_ACTOR } from '../evidence/auditLog.ts';
import { renderCertificateOfCompletion } from '../evidence/certificatePdf.ts';
import { loadMailFacts } from '../notify/envelopeFacts.ts';
import { completedMail } from '../notify/messages.ts';
import { queueMail } from '../notify/outbox.ts';
import { loadSignaturePolicy, type SignaturePolicy } from '../orgs/signaturePolicy.ts';
import { type PadesSignature, signPades } from '../pdf/pades.ts';
import type { Platform } from '../platform.ts';
import type { DocumentRow, EnvelopeRow, FieldRow, RecipientRow } from './aggregate/rows.ts';
import { issueSigningToken } from './aggregate/signingTokens.ts';
import {
  claimSeal,
  loadDocuments,
  loadEnvelopeById,
  loadFields,
  loadRecipients,
  recordSealed,
  recordSealFailure,
  recoverStalledSeals as recoverStalledSealRows,
  renewSealLease,
} from './aggregate/store.ts';
import { completionRecord } from './completionRecord.ts';
import { expiryFromNow, pdfFileName } from './records.ts';
import { signingUrl } from './service.ts';
import {
  applyPendingSignerSignatures,
  loadSignerRevisions,
  onePageRange,
  type SignerRevision,
  stampFieldsOf,
} from './signerRevisions.ts';

/** Completed copies above this size are linked rather than attached: many relays refuse ~25 MB. */
const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/**
 * The `envelope.seal` job (SPEC §C): stamp the field values into the original documents,
 * append the certificate of completion, seal with PAdES, store, notify. Idempotent — a sealed
 * envelope is skipped — and always restarted from the original documents, so a retry after a
 * crash produces a fresh, whole result. Failures are recorded on the envelope (seal state,
 * attempts, last error) for operators, and the queue retries with backoff.
 */
export async function sealEnvelope(platform: Platform, envelopeId: string): Promise<void> {
  if (!(await claimSeal(platform.db, envelopeId))) return;
  const envelope = await loadEnvelopeById(platform.db, envelopeId);
  const renewal = setInterval(() => {
    renewSealLease(platform.db, envelopeId).catch((error: Error) =>
      platform.log.warn({ err: error, envelopeId }, 'seal lease not renewed'),
    );
  }, SEAL_LEASE_RENEW_MS);
  try {
    const policy = await loadSignaturePolicy(platform.db, envelope.organization_id);
    const sealed = await buildSealedPdf(platform, envelope, policy);
    const stored = await platform.blobs.put(sealed.bytes);
    await recordSeal(platform, envelopeId, stored, sealed.stampedSha256, {
      level: `PAdES-${policy.padesLevel}`,
      signerCertificates: sealed.signerCertificates,
    });
  } catch (error) {
    await recordSealFailure(platform.db, envelopeId, String((error as Error).message));
    throw error;
  } finally {
    clearInterval(renewal);
  }
}

/** The platform's seal (its sealing key), as the completed document and the certificate carry it. */
export function platformSeal(platform: Platform, reason: string): PadesSignature {
  return {
    identity: platform.pki.sealing,
    fieldName: 'Signet seal',
    signingTime: platform.clock(),
    name: 'Signet',
    reason,
    location: new URL(platform.config.publicUrl).host,
  };
}

/** A running seal renews its lease this often; the lease lasts three times as long (SEAL_LEASE_MS). */
const SEAL_LEASE_RENEW_MS = 10_000;

/**
 * Seals whose process died (the lease ran out unrenewed) are queued again at once. pg-boss
 * would retry the job only when it expires, fifteen minutes later; the original job, if it
 * ever runs again, finds the envelope sealed and does nothing.
 */
export async function recoverStalledSeals(platform: Platform): Promise<string[]> {
  return platform.db.transaction(async (tx) => {
    const stalled = await recoverStalledSealRows(tx);
    for (const id of stalled) await platform.queue.enqueue(tx, 'envelope.seal', { envelopeId: id });
    return stalled;
  });
}

async function buildSealedPdf(platform: Platform, envelope: EnvelopeRow, policy: SignaturePolicy) {
  const latest = policy.perSignerSignatures
    ? await applyPendingSignerSignatures(platform, envelope.id)
    : undefined;
  const [documents, recipients, fields] = await Promise.all([
    loadDocuments(platform.db, envelope.id),
    loadRecipients(platform.db, envelope.id),
    loadFields(platform.db, envelope.id),
  ]);
  const seal = platformSeal(platform, `Sealed on completion of envelope ${envelope.id}`);
  if (latest)
    return sealOverSignerRevisions(
      platform,
      envelope,
      policy,
      latest,
      { documents, recipients, fields },
      seal,
    );

  const originals = await Promise.all(
    documents.map(async (d) => ({ name: d.name, bytes: await platform.blobs.get(d.sha256) })),
  );
  // Composition parses the uploaded documents: it runs on a PDF worker, within the PDF limits.
  const stamped = await platform.pdfWork.compose({
    documents: originals,
    fields: await stampFieldsOf(platform, fields, recipients, documents),
  });
  const stampedSha256 = sha256Hex(stamped);
  const certificate = await renderCertificateOfCompletion(
    await completionRecord(platform, envelope, [
      { kind: 'completedBeforeCertificate', sha256: stampedSha256 },
    ]),
  );
  const combined = await platform.pdfWork.compose({
    documents: [{ name: 'completed.pdf', bytes: stamped }],
    fields: [],
    appendix: certificate,
  });
  const bytes = await signPades(combined, [seal], policy.padesLevel, platform.pki.pades);
  return { bytes, stampedSha256, signerCertificates: [] };
}

/**
 * The seal over the signers' own signatures (see signerRevisions.ts): on the newest revision,
 * the values of recipients who do not sign (an approver's text field) as stamp annotations and
 * the certificate of completion as an attachment — changes a signed document may still receive
 * — then the platform's seal and, at B-LTA, the archive time-stamp over everything.
 */
async function sealOverSignerRevisions(
  platform: Platform,
  envelope: EnvelopeRow,
  policy: SignaturePolicy,
  latest: SignerRevision,
  {
    documents,
    recipients,
    fields,
  }: { documents: DocumentRow[]; recipients: RecipientRow[]; fields: FieldRow[] },
  seal: PadesSignature,
) {
  const revisions = await loadSignerRevisions(platform.db, envelope.id);
  const signed = new Set(revisions.map((revision) => revision.recipientId));
  const others = fields.filter((field) => !signed.has(field.recipient_id));
  const working = await platform.blobs.get(latest.pdfSha256);
  const certificate = await renderCertificateOfCompletion(
    await completionRecord(platform, envelope, [
      { kind: 'completedBeforeCertificate', sha256: latest.pdfSha256 },
    ]),
  );
  const combined = await platform.pdfWork.compose({
    documents: [{ name: 'signing.pdf', bytes: working }],
    fields: (await stampFieldsOf(platform, others, recipients, documents)).map((field) =>
      onePageRange(field, documents),
    ),
    appendix: certificate,
    appendixName: 'certificate-of-completion.pdf',
  });
  const bytes = await signPades(combined, [seal], policy.padesLevel, platform.pki.pades);
  return {
    bytes,
    stampedSha256: latest.pdfSha256,
    signerCertificates: revisions.map((revision) => ({
      recipientId: revision.recipientId,
      serialNumber: revision.certificateSerial,
    })),
  };
}

async function recordSeal(
  platform: Platform,
  envelopeId: string,
  stored: { sha256: string; size: number },
  stampedSha256: string,
  signing: { level: string; signerCertificates: { recipientId: string; serialNumber: string }[] },
) {
  await platform.db.transaction(async (tx) => {
    const envelope = await loadEnvelopeById(tx, envelopeId, { lock: true });
    if (!(await recordSealed(tx, envelope, stored))) return;
    await appendAuditEvent(tx, envelopeId, 'envelope.sealed', SYSTEM_ACTOR, {
      sha256: stored.sha256,
      size: stored.size,
      stampedSha256,
      level: signing.level,
      ...(signing.signerCertificates.length > 0 ? { signerCertificates: signing.signerCertificates } : {}),
    });
    const facts = await loadMailFacts(tx, envelope, platform.config.publicUrl);
    const attach = stored.size <= MAX_ATTACHMENT_BYTES;
    const attachments = attach
      ? [
          {
            filename: pdfFileName(envelope.title),
            sha256: stored.sha256,
            contentType: 'application/pdf',
          },
        ]
      : [];
    const recipients = await loadRecipients(tx, envelopeId);
    for (const recipient of recipients) {
      // A fresh long-lived link to the completed state: cc recipients never had one.
      const token = await issueSigningToken(tx, {
        envelopeId,
        recipientId: recipient.id,
        purpose: 'copy',
        expiresAt: expiryFromNow(platform.config),
      });
      await queueMail(
        platform,
        tx,
        { organizationId: envelope.organization_id, envelopeId },
        completedMail(
          facts,
          recipient.email,
          recipient.name,
          await signingUrl(platform, tx, envelope.organization_id, token),
          attach,
        ),
        attachments,
      );
    }
    if (envelope.sender_email && !recipients.some((r) => r.email === envelope.sender_email)) {
      await queueMail(
        platform,
        tx,
        { organizationId: envelope.organization_id, envelopeId },
        completedMail(facts, envelope.sender_email, envelope.sender_name, null, attach),
        attachments,
      );
    }
  });
}
