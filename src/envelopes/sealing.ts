import { sha256Hex } from '../blobs/blobStore.ts';
import { appendAuditEvent, SYSTEM_ACTOR } from '../evidence/auditLog.ts';
import { renderCertificateOfCompletion } from '../evidence/certificatePdf.ts';
import { loadMailFacts } from '../notify/envelopeFacts.ts';
import { completedMail } from '../notify/messages.ts';
import { queueMail } from '../notify/outbox.ts';
import { loadSignaturePolicy, type SignaturePolicy } from '../orgs/signaturePolicy.ts';
import { locateComposedFields, type StampField, type StampValue } from '../pdf/compose.ts';
import { type PadesSignature, signPades } from '../pdf/pades.ts';
import type { Platform } from '../platform.ts';
import type { EnvelopeRow, FieldRow, RecipientRow } from './aggregate/rows.ts';
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
    signingTime: new Date(),
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
  const [documents, recipients, fields] = await Promise.all([
    loadDocuments(platform.db, envelope.id),
    loadRecipients(platform.db, envelope.id),
    loadFields(platform.db, envelope.id),
  ]);
  const originals = await Promise.all(
    documents.map(async (d) => ({ name: d.name, bytes: await platform.blobs.get(d.sha256) })),
  );
  const images = new Map<string, Buffer>();
  for (const r of recipients) {
    for (const sha256 of [r.signature_png_sha256, r.initials_png_sha256]) {
      if (sha256 && !images.has(sha256)) images.set(sha256, await platform.blobs.get(sha256));
    }
  }
  const stampFields = fields.flatMap((field) => {
    const value = stampValueOf(
      field,
      recipients.find((r) => r.id === field.recipient_id),
      images,
    );
    if (!value) return [];
    const documentIndex = documents.findIndex((d) => d.id === field.document_id);
    return [
      {
        documentIndex,
        page: field.page,
        x: field.x,
        y: field.y,
        width: field.width,
        height: field.height,
        value,
      } satisfies StampField,
    ];
  });
  // Composition parses the uploaded documents: it runs on a PDF worker, within the PDF limits.
  const stamped = await platform.pdfWork.compose({ documents: originals, fields: stampFields });
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
  const perSigner = policy.perSignerSignatures
    ? await perSignerSignatures(platform, envelope, recipients, fields, documents, combined)
    : { signatures: [], certificates: [] };
  const bytes = await signPades(
    combined,
    [...perSigner.signatures, platformSeal(platform, `Sealed on completion of envelope ${envelope.id}`)],
    policy.padesLevel,
    platform.pki.pades,
  );
  return { bytes, stampedSha256, signerCertificates: perSigner.certificates };
}

/**
 * One digital signature per signer (SPEC §C), in the order they signed, each on their first
 * signature field. Only recipients who completed — and so passed every identity check — get a
 * certificate. The key is made just before the signature and destroyed right after it.
 */
async function perSignerSignatures(
  platform: Platform,
  envelope: EnvelopeRow,
  recipients: RecipientRow[],
  fields: FieldRow[],
  documents: { id: string; page_count: number }[],
  composed: Uint8Array,
): Promise<{ signatures: PadesSignature[]; certificates: { recipientId: string; serialNumber: string }[] }> {
  const signers = recipients
    .filter((r) => r.role === 'signer' && r.status === 'completed' && r.completed_at)
    .sort((a, b) => new Date(a.completed_at ?? 0).getTime() - new Date(b.completed_at ?? 0).getTime());
  const boxes = signers.map((signer) => {
    const field = fields.find((f) => f.recipient_id === signer.id && f.type === 'signature');
    if (!field) return undefined;
    return { ...field, documentIndex: documents.findIndex((d) => d.id === field.document_id) };
  });
  const placed = await locateComposedFields(
    composed,
    documents.map((d) => d.page_count),
    boxes.filter((box) => box !== undefined),
  );
  const certificates: { recipientId: string; serialNumber: string }[] = [];
  let placedIndex = 0;
  const signatures = signers.map((signer, index): PadesSignature => {
    const box = boxes[index] ? placed[placedIndex++] : undefined;
    const signedAt = new Date(signer.completed_at ?? Date.now());
    let destroyKey: (() => Promise<void>) | undefined;
    return {
      fieldName: `Signature of ${signer.name}`,
      signingTime: signedAt,
      name: signer.name,
      reason: `Signed envelope ${envelope.id}`,
      identity: async () => {
        const ephemeral = await platform.pki.keyStore.generateEphemeral('rsa-sha256');
        destroyKey = () => ephemeral.destroy();
        const issued = await platform.pki.issueSignerCertificate({
          name: signer.name,
          email: signer.email,
          envelopeId: envelope.id,
          publicKey: ephemeral.publicKey,
        });
        certificates.push({ recipientId: signer.id, serialNumber: issued.serialNumber });
        return { ...ephemeral.key, certificate: issued.certificate, chain: issued.chain };
      },
      afterSigning: async () => destroyKey?.(),
      ...(box
        ? {
            visible: {
              pageIndex: box.pageIndex,
              rect: box.rect,
              lines: [
                `Digitally signed by ${signer.name}`,
                signer.email,
                `${signedAt.toISOString().slice(0, 16)}Z`,
              ],
            },
          }
        : {}),
    };
  });
  return { signatures, certificates };
}

function stampValueOf(
  field: FieldRow,
  recipient: RecipientRow | undefined,
  images: Map<string, Buffer>,
): StampValue | null {
  if (recipient?.status !== 'completed') return null;
  if (field.type === 'initials' && recipient.initials_kind) {
    return adoptedMark(images, recipient.initials_png_sha256, recipient.initials_text);
  }
  if (field.type === 'signature' || field.type === 'initials') {
    // No initials of their own: the signature's image, or the initials of the typed name.
    const text = recipient.signature_text;
    const shown = field.type === 'initials' && text ? initialsOf(text) : text;
    return adoptedMark(images, recipient.signature_png_sha256, shown);
  }
  const value = field.value?.v;
  if (field.type === 'checkbox') return value === true ? { kind: 'checkbox', checked: true } : null;
  return typeof value === 'string' && value !== '' ? { kind: 'text', text: value } : null;
}

/** An adopted signature or initials: its image (drawn, uploaded, or typed as the signer saw it), else its text. */
function adoptedMark(
  images: Map<string, Buffer>,
  pngSha256: string | null,
  text: string | null,
): StampValue | null {
  const image = pngSha256 ? images.get(pngSha256) : undefined;
  if (image) return { kind: 'image', png: image };
  return text ? { kind: 'typedSignature', text } : null;
}

const initialsOf = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase())
    .join('');

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
