import { DEFAULT_PRIMARY_COLOR, type Language } from '../orgs/settings.ts';
import { type CustomTemplates, templateKey } from './emailTemplates.ts';
import { CATALOGUES, type MailTemplate, renderText, type TemplateKind } from './templates.ts';

/**
 * What each notification says (SPEC §J), pure: subject, text and HTML from the facts, in the
 * recipient's language, in the organisation's wording (its templates) and brand — product name,
 * colour, logo, sender name — and never the platform's (SPEC §G, white label).
 */
export type MailKind = TemplateKind | 'webhook-disabled' | 'account-invitation' | 'password-reset';

export interface ComposedMail {
  kind: MailKind;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The From display name, e.g. "Ada Lovelace via Acme"; the address stays MAIL_FROM's. */
  fromName?: string;
  replyTo?: string | null;
  language?: Language;
}

/** The brand a mail carries: the organisation's (orgs/branding.ts), the logo as an absolute URL. */
export interface MailBrand {
  productName: string;
  organizationName: string;
  primaryColor: string;
  /** Absolute, on the organisation's host; null: the product name stands in its place. */
  logoUrl: string | null;
  logoSize: { width: number; height: number } | null;
  emailSenderName: string;
  replyTo: string | null;
}

/** Someone mail may go to about an envelope: their name and, when they chose one, their language. */
export interface MailPerson {
  name: string;
  language: Language | null;
}

export interface EnvelopeFacts {
  title: string;
  organizationName: string;
  /** The person who sent the envelope; empty when no person did (the brand speaks instead). */
  senderName: string;
  senderEmail: string;
  brand: MailBrand;
  defaultLanguage: Language;
  /** By lower-case address: the envelope's recipients. */
  people: ReadonlyMap<string, MailPerson>;
  templates: CustomTemplates;
}

export const languageOf = (facts: EnvelopeFacts, to: string): Language =>
  facts.people.get(to.toLowerCase())?.language ?? facts.defaultLanguage;

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** Subjects are one line: a value with a line break must not start a header of its own. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 250);

const paragraphsOf = (text: string) =>
  text
    .split(/\n[ \t]*\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph !== '');

interface Composition {
  kind: TemplateKind;
  to: string;
  facts: EnvelopeFacts;
  /** The kind's own placeholders. */
  values: Record<string, string>;
  recipientName?: string;
  action?: { url: string };
  /** A draft being previewed instead of the organisation's template. */
  template?: MailTemplate;
}

/** Whom "Hello …," greets: the name we know for the address, else the address itself. */
function recipientNameOf(c: Composition): string {
  const to = c.to.toLowerCase();
  const toSender = c.facts.senderEmail.toLowerCase() === to ? c.facts.senderName : '';
  return c.recipientName || c.facts.people.get(to)?.name || toSender || c.to;
}

/** Renders one mail: the template (the organisation's, else the catalogue's) in the brand's layout. */
export function composeMail(c: Composition): ComposedMail {
  const { facts } = c;
  const language = languageOf(facts, c.to);
  const catalogue = CATALOGUES[language];
  const template =
    c.template ?? facts.templates.get(templateKey(c.kind, language)) ?? catalogue.mails[c.kind];
  const senderName = facts.senderName || facts.brand.productName;
  const view: Record<string, string> = {
    productName: facts.brand.productName,
    organizationName: facts.organizationName,
    senderName,
    recipientName: recipientNameOf(c),
    envelopeTitle: facts.title,
    ...c.values,
  };
  const subject = oneLine(renderText(template.subject, view));
  const paragraphs = paragraphsOf(renderText(template.body, view));
  const buttonText = catalogue.mails[c.kind].button;
  const action =
    c.action && buttonText ? { label: renderText(buttonText, view), url: c.action.url } : undefined;
  const footer =
    facts.organizationName && facts.organizationName !== facts.brand.productName
      ? renderText(catalogue.layout.onBehalfOf, view)
      : facts.brand.productName;
  const text = [...paragraphs, ...(action ? [`${action.label}: ${action.url}`] : []), `— ${footer}`].join(
    '\n\n',
  );
  return {
    kind: c.kind,
    to: c.to,
    subject,
    text,
    html: layout({
      language,
      subject,
      paragraphs,
      action,
      brand: facts.brand,
      footer,
      openLink: catalogue.layout.openLink,
    }),
    fromName: facts.senderName
      ? `${facts.senderName} via ${facts.brand.emailSenderName}`
      : facts.brand.emailSenderName,
    replyTo: facts.brand.replyTo ?? (facts.senderEmail || null),
    language,
  };
}

/**
 * The HTML part: a single centred card, tables and inline styles only (what mail clients render
 * alike), the logo or the product name on top, the action as a button in the brand's colour.
 */
function layout(m: {
  language: Language;
  subject: string;
  paragraphs: string[];
  action: { label: string; url: string } | undefined;
  brand: MailBrand;
  footer: string;
  openLink: string;
}): string {
  const { brand } = m;
  const color = escapeHtml(brand.primaryColor);
  const logoHeight = 40;
  const logoWidth = brand.logoSize
    ? Math.min(240, Math.round((brand.logoSize.width / brand.logoSize.height) * logoHeight))
    : undefined;
  const header = brand.logoUrl
    ? `<img src="${escapeHtml(brand.logoUrl)}" alt="${escapeHtml(brand.productName)}" height="${logoHeight}"${logoWidth ? ` width="${logoWidth}"` : ''} style="display:block;border:0;height:${logoHeight}px;${logoWidth ? `width:${logoWidth}px;` : ''}">`
    : `<div style="font-size:20px;font-weight:700;color:${color}">${escapeHtml(brand.productName)}</div>`;
  const body = m.paragraphs
    .map((p) => `<p style="margin:0 0 16px">${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
  const action = m.action
    ? `<table role="presentation" cellspacing="0" cellpadding="0" style="margin:8px 0 20px"><tr><td style="border-radius:6px;background:${color}"><a href="${escapeHtml(m.action.url)}" style="display:inline-block;padding:12px 22px;color:#ffffff;text-decoration:none;font-weight:600;border-radius:6px">${escapeHtml(m.action.label)}</a></td></tr></table><p style="margin:0 0 16px;font-size:12px;color:#555555">${escapeHtml(m.openLink)}<br><a href="${escapeHtml(m.action.url)}" style="color:${color};word-break:break-all">${escapeHtml(m.action.url)}</a></p>`
    : '';
  return [
    `<!doctype html><html lang="${m.language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(m.subject)}</title></head>`,
    '<body style="margin:0;padding:0;background:#f3f4f6">',
    '<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="background:#f3f4f6"><tr><td align="center" style="padding:24px 12px">',
    `<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="max-width:560px;background:#ffffff;border-radius:8px;border-top:4px solid ${color};font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2937;font-size:15px;line-height:1.55">`,
    `<tr><td style="padding:24px 32px 8px">${header}</td></tr>`,
    `<tr><td style="padding:16px 32px 8px">${body}${action}</td></tr>`,
    `<tr><td style="padding:16px 32px 24px;border-top:1px solid #e5e7eb;font-size:12px;color:#6b7280">${escapeHtml(m.footer)}</td></tr>`,
    '</table></td></tr></table></body></html>',
  ].join('');
}

/** The code alone in the subject would show on lock screens; it goes in the body only. */
export function oneTimeCodeMail(
  facts: EnvelopeFacts,
  to: string,
  code: string,
  minutes: number,
): ComposedMail {
  return composeMail({ kind: 'one-time-code', to, facts, values: { code, minutes: String(minutes) } });
}

export function invitationMail(
  facts: EnvelopeFacts & { message: string; recipientName: string; role: string },
  to: string,
  signingUrl: string,
  reminder = false,
): ComposedMail {
  const catalogue = CATALOGUES[languageOf(facts, to)];
  const role = (['signer', 'approver', 'viewer', 'cc'] as const).find((r) => r === facts.role) ?? 'viewer';
  return composeMail({
    kind: reminder ? 'reminder' : 'invitation',
    to,
    facts,
    recipientName: facts.recipientName,
    values: {
      action: catalogue.actions[role],
      actionNoun: catalogue.actionNouns[role],
      message: facts.message,
    },
    action: { url: signingUrl },
  });
}

export function completedMail(
  facts: EnvelopeFacts,
  to: string,
  recipientName: string,
  downloadUrl: string | null,
  attached: boolean,
): ComposedMail {
  const { words } = CATALOGUES[languageOf(facts, to)];
  return composeMail({
    kind: 'completed',
    to,
    facts,
    recipientName,
    values: { documentNote: attached ? words.sealedAttached : words.sealedLinked },
    ...(downloadUrl ? { action: { url: downloadUrl } } : {}),
  });
}

export function declinedMail(
  facts: EnvelopeFacts,
  to: string,
  declinedBy: string,
  reason: string,
): ComposedMail {
  return composeMail({ kind: 'declined', to, facts, values: { declinedBy, reason } });
}

export function voidedMail(facts: EnvelopeFacts, to: string, reason: string): ComposedMail {
  return composeMail({ kind: 'voided', to, facts, values: { reason } });
}

export function expiredMail(facts: EnvelopeFacts, to: string, pending: string[]): ComposedMail {
  const { words } = CATALOGUES[languageOf(facts, to)];
  return composeMail({ kind: 'expired', to, facts, values: { pending: pending.join(', ') || words.nobody } });
}

/** What a template preview shows: the mail as a recipient would get it, about a sample envelope. */
export function previewMail(
  kind: TemplateKind,
  brand: MailBrand,
  language: Language,
  template: MailTemplate | undefined,
  templates: CustomTemplates,
): ComposedMail {
  const to = 'ada.lovelace@example.com';
  const sample = language === 'de' ? SAMPLE.de : SAMPLE.en;
  const facts: EnvelopeFacts = {
    title: sample.title,
    organizationName: brand.organizationName,
    senderName: sample.sender,
    senderEmail: 'grace.hopper@example.com',
    brand,
    defaultLanguage: language,
    people: new Map([[to, { name: 'Ada Lovelace', language }]]),
    templates,
  };
  const catalogue = CATALOGUES[language];
  const values: Record<TemplateKind, Record<string, string>> = {
    invitation: {
      action: catalogue.actions.signer,
      actionNoun: catalogue.actionNouns.signer,
      message: sample.message,
    },
    reminder: {
      action: catalogue.actions.signer,
      actionNoun: catalogue.actionNouns.signer,
      message: sample.message,
    },
    completed: { documentNote: catalogue.words.sealedAttached },
    declined: { declinedBy: 'Charles Babbage <charles@example.com>', reason: sample.reason },
    voided: { reason: sample.reason },
    expired: { pending: 'Charles Babbage <charles@example.com>' },
    'one-time-code': { code: '482913', minutes: '10' },
  };
  const withAction = kind === 'invitation' || kind === 'reminder' || kind === 'completed';
  return composeMail({
    kind,
    to,
    facts,
    values: values[kind],
    ...(withAction ? { action: { url: `${sample.linkBase}/sign/…` } } : {}),
    ...(template ? { template } : {}),
  });
}

const SAMPLE = {
  en: {
    title: 'Service agreement 2025',
    sender: 'Grace Hopper',
    message: 'Please sign by Friday. Thank you!',
    reason: 'The terms changed; a new version follows.',
    linkBase: 'https://sign.example.com',
  },
  de: {
    title: 'Dienstleistungsvertrag 2025',
    sender: 'Grace Hopper',
    message: 'Bitte bis Freitag unterschreiben. Vielen Dank!',
    reason: 'Die Bedingungen haben sich geändert; eine neue Fassung folgt.',
    linkBase: 'https://sign.example.com',
  },
};

/** To the organisation's owner: a webhook endpoint failed for days and stopped (src/webhooks/). */
export function webhookDisabledMail(
  to: string,
  webhook: { organizationName: string; id: string; url: string; failingSince: Date },
): ComposedMail {
  // The URL without its query: some receivers put a token there.
  const url = new URL(webhook.url);
  const paragraphs = [
    `Every attempt to deliver ${webhook.organizationName}'s webhook events to ${url.origin}${url.pathname} has failed since ${webhook.failingSince.toISOString().slice(0, 16).replace('T', ' ')} UTC, so delivery to it has stopped.`,
    `The failed attempts are in its delivery log (GET /api/v1/webhooks/${webhook.id}/deliveries). Once the receiver answers again, enable the webhook (PATCH /api/v1/webhooks/${webhook.id} with {"enabled": true}) and replay the messages it needs; nothing is sent to it for events while it is disabled.`,
  ];
  const subject = `Webhook disabled: ${url.host}`;
  return {
    kind: 'webhook-disabled',
    to,
    subject,
    text: paragraphs.join('\n\n'),
    html: `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5;color:#1a1a1a">${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}</body></html>`,
  };
}

/**
 * Mail to staff about their account (an invitation to join, a password reset): the same card in
 * the organisation's name and default colour; English until staff choose a language.
 */
function staffMail(
  kind: 'account-invitation' | 'password-reset',
  to: string,
  organizationName: string,
  subject: string,
  paragraphs: string[],
  action: { label: string; url: string },
): ComposedMail {
  const brand: MailBrand = {
    productName: organizationName,
    organizationName,
    primaryColor: DEFAULT_PRIMARY_COLOR,
    logoUrl: null,
    logoSize: null,
    emailSenderName: organizationName,
    replyTo: null,
  };
  const footer = `${organizationName}`;
  return {
    kind,
    to,
    subject,
    text: [...paragraphs, `${action.label}: ${action.url}`].join('\n\n'),
    html: layout({
      language: 'en',
      subject,
      paragraphs,
      action,
      brand,
      footer,
      openLink: 'Or open this link:',
    }),
  };
}

/** To someone an admin added to the organisation: a link to set their password (src/orgs/accounts.ts). */
export function accountInvitationMail(
  to: string,
  invitation: { organizationName: string; invitedBy: string; role: string; url: string; expiresAt: Date },
): ComposedMail {
  const who = invitation.invitedBy ? `${invitation.invitedBy} has invited you` : 'You have been invited';
  const role =
    invitation.role === 'admin' || invitation.role === 'owner'
      ? `an ${invitation.role}`
      : `a ${invitation.role}`;
  return staffMail(
    'account-invitation',
    to,
    invitation.organizationName,
    `You are invited to join ${invitation.organizationName}`,
    [
      `${who} to join ${invitation.organizationName} as ${role}.`,
      `Choose your password with the link below before ${invitation.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. It works once; do not forward it.`,
      'If you did not expect this, ignore this message.',
    ],
    { label: 'Accept the invitation', url: invitation.url },
  );
}

/** The link to choose a new password; the subject and body never say whether an account exists elsewhere. */
export function passwordResetMail(
  to: string,
  reset: { organizationName: string; url: string; minutes: number },
): ComposedMail {
  return staffMail(
    'password-reset',
    to,
    reset.organizationName,
    `Reset your ${reset.organizationName} password`,
    [
      `Someone (we hope you) asked to reset the password of your ${reset.organizationName} account.`,
      `The link below works once, for ${reset.minutes} minutes. Choosing a new password signs you out everywhere.`,
      'If you did not ask for this, ignore this message: your password stays as it is.',
    ],
    { label: 'Choose a new password', url: reset.url },
  );
}
