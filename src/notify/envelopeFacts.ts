import type { Sql } from '../db/database.ts';
import type { EnvelopeRow } from '../envelopes/aggregate/rows.ts';
import { loadRecipients } from '../envelopes/aggregate/store.ts';
import { type Branding, brandingFor } from '../orgs/branding.ts';
import { publicUrlFor } from '../orgs/customDomains.ts';
import { loadOrganizationRow } from '../orgs/settings.ts';
import { loadCustomTemplates } from './emailTemplates.ts';
import type { EnvelopeFacts, MailBrand } from './messages.ts';

/** The brand as mail shows it: the logo's URL made absolute on the organisation's host. */
export function mailBrand(branding: Branding, baseUrl: string): MailBrand {
  return {
    productName: branding.productName,
    organizationName: branding.organizationName,
    primaryColor: branding.primaryColor,
    logoUrl: branding.logoUrl ? `${baseUrl}${branding.logoUrl}` : null,
    logoSize: branding.logo ? { width: branding.logo.width, height: branding.logo.height } : null,
    emailSenderName: branding.emailSenderName,
    replyTo: branding.replyTo,
  };
}

/**
 * What every mail about an envelope says about it: its title, the organisation's brand and
 * wording, the person who sent it, and each recipient's name and language. `platformUrl`
 * (PUBLIC_URL) is where the logo is found for an organisation without a custom domain; a caller
 * that does not give it sends such an organisation's mail with the product name in its place.
 */
export async function loadMailFacts(
  sql: Sql,
  envelope: Pick<EnvelopeRow, 'id' | 'title' | 'organization_id' | 'sender_name' | 'sender_email'>,
  platformUrl?: string,
): Promise<EnvelopeFacts> {
  const [branding, organization, recipients, templates, baseUrl] = await Promise.all([
    brandingFor(sql, envelope.organization_id),
    loadOrganizationRow(sql, envelope.organization_id),
    loadRecipients(sql, envelope.id),
    loadCustomTemplates(sql, envelope.organization_id),
    publicUrlFor(sql, platformUrl ?? '', envelope.organization_id),
  ]);
  const brand = mailBrand(branding, baseUrl);
  return {
    title: envelope.title,
    organizationName: organization.name,
    senderName: envelope.sender_name,
    senderEmail: envelope.sender_email,
    brand: baseUrl ? brand : { ...brand, logoUrl: null },
    defaultLanguage: organization.default_language,
    people: new Map(recipients.map((r) => [r.email.toLowerCase(), { name: r.name, language: r.language }])),
    templates,
  };
}
