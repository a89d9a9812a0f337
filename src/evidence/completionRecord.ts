import type { EnvelopeRow } from '../envelopes/records.ts';
import { loadDocuments, loadRecipients } from '../envelopes/records.ts';
import { type IdentityCheckRow, loadIdentityChecks } from '../identity/checks.ts';
import { findOrganization } from '../orgs/organizations.ts';
import type { Platform } from '../platform.ts';
import { readAuditEvents } from './auditLog.ts';
import type { CertificateOfCompletion } from './certificatePdf.ts';

async function identityOf(platform: Platform, recipientId: string) {
  const checks = await loadIdentityChecks(platform.db, recipientId);
  return { identityMethods: checks.map(describeIdentityCheck) };
}

/** One line per identity check, from what proved it (identity_checks.evidence). */
export function describeIdentityCheck(
  check: Pick<IdentityCheckRow, 'kind' | 'status' | 'settings' | 'evidence'>,
): string {
  const evidence = (check.evidence ?? {}) as Record<string, unknown>;
  const done = check.status === 'passed' ? '' : ` — ${check.status}`;
  switch (check.kind) {
    case 'email':
      return `Email link (possession of the invitation mailbox)${done}`;
    case 'accessCode':
      return `Access code given by the sender${done}`;
    case 'otp':
      return check.settings.channel === 'sms'
        ? `One-time code by text message to ${String(check.settings.phone ?? '')}${done}`
        : `One-time code by email${done}`;
    case 'saml': {
      const parts = [`SAML identity provider ${String(evidence.idp ?? '')}`.trim()];
      if (evidence.levelOfAssurance) parts.push(`level of assurance ${String(evidence.levelOfAssurance)}`);
      const match = evidence.match as { result?: string; reasons?: string[] } | undefined;
      if (match?.result)
        parts.push(`identity ${match.result === 'match' ? 'matched' : 'not matched'} (GOV.UK Verify MDS)`);
      return `${parts.join(', ')}${done}`;
    }
    case 'oidc': {
      const who = [evidence.email, evidence.issuer].filter(Boolean).map(String);
      return `OpenID Connect provider${who.length ? ` (${who.join(' at ')})` : ''}${done}`;
    }
  }
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
