import type { Sql } from '../db/database.ts';
import { appendAuditEvent, SYSTEM_ACTOR } from '../evidence/auditLog.ts';
import { loadSignaturePolicy, type SignaturePolicy } from '../orgs/signaturePolicy.ts';
import { locateComposedFields, type StampField } from '../pdf/compose.ts';
import { type PadesLevel, type PadesSignature, signPades } from '../pdf/pades.ts';
import { signatureCaptionBox } from '../pdf/signatureCaption.ts';
import type { Platform } from '../platform.ts';
import type { DocumentRow, EnvelopeRow, FieldRow, RecipientRow } from './aggregate/rows.ts';
import { loadDocuments, loadEnvelopeById, loadFields, loadRecipients } from './aggregate/store.ts';
import { stampValueOf } from './fieldValues.ts';

/*
 * Per-signer signatures at the moment of signing (SPEC §C, issue #13). With the organisation's
 * per-signer policy on, each signer's digital signature is made when they finish — not when the
 * envelope completes — over exactly what they were shown: the originals with the values of the
 * signers before them, plus their own. Their one-time key is made, certified for them at that
 * moment, used once and destroyed. Each signature is an incremental revision of the envelope's
 * signing document; the next signer's values go on top as stamp annotations, which a signed
 * document may still receive (verify/diffAnalysis.ts), and the seal finally adds the certificate
 * of completion as an attachment — so every earlier signature stays valid.
 *
 * Applying is idempotent and safe to run from several processes at once: each revision builds on
 * the newest one, and the (envelope, seq) key lets only one of two racing processes store its
 * revision; the other starts again from the winner's.
 */

export interface SignerRevision {
  seq: number;
  recipientId: string;
  pdfSha256: string;
  certificateSerial: string;
  signedAt: Date;
}

/**
 * Signs for every signer who has finished and has no signature yet, in the order they finished,
 * and returns the newest revision (undefined when there is none, or the policy is off).
 */
export async function applyPendingSignerSignatures(
  platform: Platform,
  envelopeId: string,
): Promise<SignerRevision | undefined> {
  const envelope = await loadEnvelopeById(platform.db, envelopeId);
  const policy = await loadSignaturePolicy(platform.db, envelope.organization_id);
  if (!policy.perSignerSignatures) return undefined;
  for (;;) {
    const [documents, recipients, fields, revisions] = await Promise.all([
      loadDocuments(platform.db, envelopeId),
      loadRecipients(platform.db, envelopeId),
      loadFields(platform.db, envelopeId),
      loadSignerRevisions(platform.db, envelopeId),
    ]);
    const latest = revisions.at(-1);
    const signer = nextSigner(recipients, revisions);
    if (!signer) return latest;
    const made = await signRevision(platform, {
      envelope,
      documents,
      recipients,
      fields,
      signer,
      latest,
      level: revisionLevel(policy),
      now: platform.clock(),
    });
    const stored = await platform.blobs.put(made.bytes);
    const revision: SignerRevision = {
      seq: (latest?.seq ?? 0) + 1,
      recipientId: signer.id,
      pdfSha256: stored.sha256,
      certificateSerial: made.certificateSerial,
      signedAt: made.signedAt,
    };
    // Lost a race: another process applied a signature on the same base; start again from it.
    if (!(await recordSignerRevision(platform, envelopeId, signer, revision))) continue;
    // The signature and (from B-LT) its revocation data are in the file: where the policy says
    // so, the one-time certificate is revoked now that its one use is over.
    await platform.pki.signerCertificateUsed({
      serialNumber: revision.certificateSerial,
      timeStamped: revisionLevel(policy) !== 'B-B',
    });
  }
}

/** The signers' revisions of an envelope, oldest first. */
export async function loadSignerRevisions(sql: Sql, envelopeId: string): Promise<SignerRevision[]> {
  const rows = await sql.query<{
    seq: number;
    recipient_id: string;
    pdf_sha256: string;
    certificate_serial: string;
    signed_at: Date;
  }>(
    `select seq, recipient_id, pdf_sha256, certificate_serial, signed_at
       from signer_revisions where envelope_id = $1 order by seq`,
    [envelopeId],
  );
  return rows.map((row) => ({
    seq: row.seq,
    recipientId: row.recipient_id,
    pdfSha256: row.pdf_sha256,
    certificateSerial: row.certificate_serial,
    signedAt: new Date(row.signed_at),
  }));
}

/** The signer who finished first among those without a signature yet. */
function nextSigner(recipients: RecipientRow[], revisions: SignerRevision[]): RecipientRow | undefined {
  const signed = new Set(revisions.map((revision) => revision.recipientId));
  return recipients
    .filter((r) => r.role === 'signer' && r.status === 'completed' && r.completed_at && !signed.has(r.id))
    .sort((a, b) => (a.completed_at?.getTime() ?? 0) - (b.completed_at?.getTime() ?? 0))[0];
}

/**
 * A signer's revision goes up to B-LT: a signature time-stamp proves when they signed, and the
 * revocation data of their certificate is captured while it is fresh. The archive time-stamp
 * (B-LTA) comes once, over everything, with the seal.
 */
function revisionLevel(policy: SignaturePolicy): PadesLevel {
  return policy.padesLevel === 'B-LTA' ? 'B-LT' : policy.padesLevel;
}

interface RevisionInput {
  envelope: EnvelopeRow;
  documents: DocumentRow[];
  recipients: RecipientRow[];
  fields: FieldRow[];
  signer: RecipientRow;
  latest: SignerRevision | undefined;
  level: PadesLevel;
  now: Date;
}

async function signRevision(platform: Platform, input: RevisionInput) {
  const { envelope, documents, signer, latest, now } = input;
  const own = input.fields.filter((field) => field.recipient_id === signer.id);
  const values = await stampFieldsOf(platform, own, input.recipients, documents);
  // The first revision merges the originals (as the seal always has); later ones add to the
  // newest revision in place, as stamp annotations, so the signatures in it stay intact.
  const stamped = latest
    ? await platform.pdfWork.compose({
        documents: [{ name: 'signing.pdf', bytes: await platform.blobs.get(latest.pdfSha256) }],
        fields: values.map((value) => onePageRange(value, documents)),
      })
    : await platform.pdfWork.compose({
        documents: await Promise.all(
          documents.map(async (d) => ({ name: d.name, bytes: await platform.blobs.get(d.sha256) })),
        ),
        fields: values,
      });
  const certificates: string[] = [];
  const signature = await signerSignature(
    platform,
    envelope,
    signer,
    own,
    documents,
    stamped,
    now,
    certificates,
  );
  const bytes = await signPades(stamped, [signature], input.level, platform.pki.pades);
  const certificateSerial = certificates[0];
  if (!certificateSerial) throw new Error('the signer certificate was not issued');
  return { bytes, certificateSerial, signedAt: now };
}

/** Field values to stamp, placed in the original documents (document index, page within it). */
export async function stampFieldsOf(
  platform: Platform,
  fields: FieldRow[],
  recipients: RecipientRow[],
  documents: DocumentRow[],
): Promise<StampField[]> {
  const images = new Map<string, Buffer>();
  for (const r of recipients) {
    for (const sha256 of [r.signature_png_sha256, r.initials_png_sha256]) {
      if (sha256 && !images.has(sha256)) images.set(sha256, await platform.blobs.get(sha256));
    }
  }
  return fields.flatMap((field) => {
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
      },
    ];
  });
}

/** A field of the originals, placed in the merged signing document (one document, pages in order). */
export function onePageRange<T extends { documentIndex: number; page: number }>(
  field: T,
  documents: { page_count: number }[],
): T {
  const offset = documents.slice(0, field.documentIndex).reduce((sum, d) => sum + d.page_count, 0);
  return { ...field, documentIndex: 0, page: offset + field.page };
}

/**
 * The signer's signature: a key made now and destroyed after this one use, a certificate issued
 * now for this signer and this envelope, /M now — so the claimed time and the certificate's
 * validity agree whatever the level. Visible beside their first signature field: the caption
 * sits in a band of its own next to the adopted signature, never over it.
 */
async function signerSignature(
  platform: Platform,
  envelope: EnvelopeRow,
  signer: RecipientRow,
  own: FieldRow[],
  documents: DocumentRow[],
  stamped: Uint8Array,
  now: Date,
  issuedSerials: string[],
): Promise<PadesSignature> {
  const field = own.find((f) => f.type === 'signature');
  const documentIndex = field ? documents.findIndex((d) => d.id === field.document_id) : -1;
  const page = field ? documents[documentIndex]?.pages[field.page - 1] : undefined;
  const placed =
    field && page
      ? (
          await locateComposedFields(
            stamped,
            documents.map((d) => d.page_count),
            [{ ...signatureCaptionBox(field, page), documentIndex, page: field.page }],
          )
        )[0]
      : undefined;
  let destroyKey: (() => Promise<void>) | undefined;
  return {
    fieldName: `Signature of ${signer.name}`,
    signingTime: now,
    name: signer.name,
    reason: `Signed envelope ${envelope.id}`,
    identity: async () => {
      const ephemeral = await platform.pki.keyStore.generateEphemeral('rsa-sha256');
      destroyKey = () => ephemeral.destroy();
      const issued = await platform.pki.issueSignerCertificate(
        { name: signer.name, email: signer.email, envelopeId: envelope.id, publicKey: ephemeral.publicKey },
        now,
      );
      issuedSerials.push(issued.serialNumber);
      return { ...ephemeral.key, certificate: issued.certificate, chain: issued.chain };
    },
    afterSigning: async () => destroyKey?.(),
    ...(placed
      ? {
          visible: {
            pageIndex: placed.pageIndex,
            rect: placed.rect,
            lines: [
              `Digitally signed by ${signer.name}`,
              `${now.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
            ],
          },
        }
      : {}),
  };
}

/** Stores the revision unless another process stored one on the same base first; audited. */
async function recordSignerRevision(
  platform: Platform,
  envelopeId: string,
  signer: RecipientRow,
  revision: SignerRevision,
): Promise<boolean> {
  return platform.db.transaction(async (tx) => {
    const inserted = await tx.query(
      `insert into signer_revisions (envelope_id, seq, recipient_id, pdf_sha256, certificate_serial, signed_at)
       values ($1, $2, $3, $4, $5, $6) on conflict do nothing returning seq`,
      [
        envelopeId,
        revision.seq,
        revision.recipientId,
        revision.pdfSha256,
        revision.certificateSerial,
        revision.signedAt,
      ],
    );
    if (inserted.length === 0) return false;
    await appendAuditEvent(tx, envelopeId, 'recipient.signature_applied', SYSTEM_ACTOR, {
      recipientId: signer.id,
      revision: revision.seq,
      sha256: revision.pdfSha256,
      certificateSerial: revision.certificateSerial,
      signedAt: revision.signedAt.toISOString(),
    });
    return true;
  });
}
