import { readAuditEvents } from '../evidence/auditLog.ts';
import type { CertificateOfCompletion } from '../evidence/certificatePdf.ts';
import { describeIdentityCheck } from '../identity/checkDescriptions.ts';
import { loadIdentityChecks } from '../identity/checks.ts';
import { findOrganization } from '../orgs/organizations.ts';
import type { Platform } from '../platform.ts';
import type { EnvelopeRow } from './aggregate/rows.ts';
import { loadDocuments, loadRecipients } from './aggregate/store.ts';

async function identityOf(platform: Platform, recipientId: string) {
  const checks = await loadIdentityChecks(platform.db, recipientId);
  return { identityMethods: checks.map(describeIdentityCheck) };
}

/** Gathers what the certificate of completion states about an envelope, from its records. */
export async function completionRecord(
  platform: Platform,
  envelope: EnvelopeRow,
  resultSha256: { label: string; sha256: string }[],
): Promise<CertificateOfCompletion> {
  const [documents, recipients, events, organization] = await Promise.all([
    loadDocuments(platform.db, envelope.id),
    loadRecipients(platform.db, envelope.id),
    readAuditEvents(platform.db, envelope.id),
    findOrganization(platform.db, envelope.organization_id),
  ]);
  const iso = (value: Date | null) => (value ? new Date(value).toISOString() : undefined);
  const recipientBlocks = await Promise.all(
    recipients.map(async (r) => ({
      ...(await identityOf(platform, r.id)),
      name: r.name,
      email: r.email,
      role: r.role,
      routingOrder: r.routing_order,
      status: r.status,
      ip: r.last_ip ?? undefined,
      userAgent: r.last_user_agent ?? undefined,
      viewedAt: iso(r.viewed_at),
      consentedAt: iso(r.consented_at),
      signedAt: iso(r.completed_at),
      declinedAt: iso(r.declined_at),
      declineReason: r.decline_reason ?? undefined,
      signatureImage: r.signature_png_sha256 ? await platform.blobs.get(r.signature_png_sha256) : undefined,
      signatureText: r.signature_text ?? undefined,
    })),
  );
  return {
    envelopeId: envelope.id,
    title: envelope.title,
    organizationName: organization?.name ?? '',
    status: envelope.status,
    documents: documents.map((d) => ({ name: d.name, pages: d.page_count, sha256: d.sha256 })),
    resultSha256,
    recipients: recipientBlocks,
    events: events.map((e) => ({ at: e.at, type: e.type, actor: e.actor, ip: e.ip ?? undefined })),
    auditHeadHash: envelope.audit_head_hash ?? '',
    generatedAt: new Date().toISOString(),
  };
}
