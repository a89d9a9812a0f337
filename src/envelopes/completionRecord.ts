import { readAuditEvents } from '../evidence/auditLog.ts';
import type { CertificateOfCompletion } from '../evidence/certificatePdf.ts';
import type { CertificateResultKind } from '../evidence/certificateWords.ts';
import { loadTimelineDirectory } from '../evidence/people.ts';
import { timelineOf } from '../evidence/timeline.ts';
import { describeIdentityCheck } from '../identity/checkDescriptions.ts';
import { loadIdentityChecks } from '../identity/checks.ts';
import { brandingFor } from '../orgs/branding.ts';
import { type Language, loadEnvelopeDefaults } from '../orgs/settings.ts';
import type { Platform } from '../platform.ts';
import type { EnvelopeRow } from './aggregate/rows.ts';
import { loadDocuments, loadRecipients } from './aggregate/store.ts';

async function identityOf(platform: Platform, recipientId: string, language: Language) {
  const checks = await loadIdentityChecks(platform.db, recipientId);
  return { identityMethods: checks.map((check) => describeIdentityCheck(check, language)) };
}

/**
 * Gathers what the certificate of completion states about an envelope, from its records: people
 * by name, the consent wording each signer agreed to (as their consent event recorded it), cc
 * recipients as receiving a copy, the audit trail in plain words, and the organisation's brand —
 * in the organisation's default language.
 */
export async function completionRecord(
  platform: Platform,
  envelope: EnvelopeRow,
  resultSha256: { kind: CertificateResultKind; sha256: string }[],
): Promise<CertificateOfCompletion> {
  const [documents, recipients, events, branding, { language }] = await Promise.all([
    loadDocuments(platform.db, envelope.id),
    loadRecipients(platform.db, envelope.id),
    readAuditEvents(platform.db, envelope.id),
    brandingFor(platform.db, envelope.organization_id),
    loadEnvelopeDefaults(platform.db, envelope.organization_id),
  ]);
  const directory = await loadTimelineDirectory(
    platform.db,
    envelope,
    events.map((e) => e.actor),
  );
  const iso = (value: Date | null) => (value ? new Date(value).toISOString() : undefined);
  const consentOf = (recipientId: string) => {
    const consented = events.findLast(
      (e) => e.type === 'recipient.consented' && e.actor === `recipient:${recipientId}`,
    );
    const text = consented?.data.consentText;
    return typeof text === 'string' ? text : undefined;
  };
  const copySentTo = (email: string) =>
    events.find((e) => e.type === 'mail.sent' && e.data.kind === 'completed' && e.data.to === email)?.at;
  const recipientBlocks = await Promise.all(
    recipients.map(async (r) => {
      const consentText = consentOf(r.id);
      const copySentAt = r.role === 'cc' ? copySentTo(r.email) : undefined;
      return {
        ...(await identityOf(platform, r.id, language)),
        name: r.name,
        email: r.email,
        role: r.role,
        routingOrder: r.routing_order,
        // A cc recipient is never pending: they are sent the completed copy.
        status:
          r.role === 'cc'
            ? envelope.status === 'completed'
              ? 'received a copy'
              : 'receives a copy'
            : r.status,
        ip: r.last_ip ?? undefined,
        userAgent: r.last_user_agent ?? undefined,
        viewedAt: iso(r.viewed_at),
        consentedAt: iso(r.consented_at),
        signedAt: iso(r.completed_at),
        declinedAt: iso(r.declined_at),
        declineReason: r.decline_reason ?? undefined,
        signatureImage: r.signature_png_sha256 ? await platform.blobs.get(r.signature_png_sha256) : undefined,
        signatureText: r.signature_text ?? undefined,
        ...(consentText ? { consentText } : {}),
        ...(copySentAt ? { copySentAt } : {}),
      };
    }),
  );
  const logo = branding.logo
    ? { bytes: await platform.blobs.get(branding.logo.sha256), contentType: branding.logo.contentType }
    : undefined;
  return {
    envelopeId: envelope.id,
    title: envelope.title,
    organizationName: branding.organizationName,
    brand: {
      productName: branding.productName,
      primaryColor: branding.primaryColor,
      ...(logo ? { logo } : {}),
    },
    status: envelope.status,
    documents: documents.map((d) => ({ name: d.name, pages: d.page_count, sha256: d.sha256 })),
    resultSha256,
    recipients: recipientBlocks,
    events: timelineOf(events, directory, language).map((entry) => ({
      at: entry.at,
      text: entry.text,
      ...(entry.device ? { device: entry.device } : {}),
      ...(entry.ip ? { ip: entry.ip } : {}),
    })),
    auditHeadHash: envelope.audit_head_hash ?? '',
    generatedAt: new Date().toISOString(),
    language,
  };
}
