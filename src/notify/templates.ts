import { readFileSync } from 'node:fs';
import Mustache from 'mustache';
import { z } from 'zod';
import { SignetError } from '../errors.ts';
import { LANGUAGES, type Language } from '../orgs/settings.ts';

/*
 * Mail wording: message catalogues per language (messages/<language>.json, each complete), and an
 * organisation's own subject and body per kind of mail and language, written with a small set of
 * {{placeholders}}. Templates are parsed by mustache and may hold nothing but text and the
 * placeholders of their kind — no sections, partials or unescaped tags — and what they render
 * is plain text: the HTML part escapes it (messages.ts), so neither a template nor a value (a
 * title, a sender's message) can put markup into a mail.
 */

// Parsed templates are not kept: organisations' templates are many and change.
Mustache.templateCache = undefined;

export const TEMPLATE_KINDS = [
  'invitation',
  'reminder',
  'completed',
  'declined',
  'voided',
  'expired',
  'one-time-code',
] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

/** What every template may use. */
const COMMON_PLACEHOLDERS = [
  'productName',
  'organizationName',
  'senderName',
  'recipientName',
  'envelopeTitle',
] as const;

/** What each kind adds: the facts that kind of mail is about. */
const KIND_PLACEHOLDERS: Record<TemplateKind, readonly string[]> = {
  invitation: ['action', 'actionNoun', 'message'],
  reminder: ['action', 'actionNoun', 'message'],
  completed: ['documentNote'],
  declined: ['declinedBy', 'reason'],
  voided: ['reason'],
  expired: ['pending'],
  'one-time-code': ['code', 'minutes'],
};

/** A one-time code in a subject would show on lock screens and in mail lists. */
const NOT_IN_SUBJECT: Partial<Record<TemplateKind, readonly string[]>> = { 'one-time-code': ['code'] };

export const placeholdersOf = (kind: TemplateKind): string[] => [
  ...COMMON_PLACEHOLDERS,
  ...KIND_PLACEHOLDERS[kind],
];

const mailText = z.object({ subject: z.string(), body: z.string(), button: z.string().optional() });
const catalogueSchema = z.strictObject({
  actions: z.record(z.enum(['signer', 'approver', 'viewer', 'cc']), z.string()),
  actionNouns: z.record(z.enum(['signer', 'approver', 'viewer', 'cc']), z.string()),
  layout: z.strictObject({ openLink: z.string(), onBehalfOf: z.string() }),
  words: z.strictObject({ nobody: z.string(), sealedAttached: z.string(), sealedLinked: z.string() }),
  mails: z.strictObject(
    Object.fromEntries(TEMPLATE_KINDS.map((kind) => [kind, mailText])) as {
      [K in TemplateKind]: typeof mailText;
    },
  ),
});
export type Catalogue = z.infer<typeof catalogueSchema>;

function loadCatalogue(language: Language): Catalogue {
  const file = new URL(`./messages/${language}.json`, import.meta.url);
  return catalogueSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Every language's catalogue, read and checked once at start (a missing key fails here). */
export const CATALOGUES: Record<Language, Catalogue> = Object.fromEntries(
  LANGUAGES.map((language) => [language, loadCatalogue(language)]),
) as Record<Language, Catalogue>;

export interface MailTemplate {
  subject: string;
  body: string;
}

/** The catalogue's wording for a kind of mail in a language. */
export function defaultTemplate(kind: TemplateKind, language: Language): MailTemplate {
  const { subject, body } = CATALOGUES[language].mails[kind];
  return { subject, body };
}

type Token = [type: string, value: string, ...rest: unknown[]];

/** The placeholders a template uses; anything but text and {{name}} tags is refused. */
function parseTemplate(template: string, where: 'subject' | 'body', allowed: readonly string[]): void {
  let tokens: Token[];
  try {
    tokens = Mustache.parse(template) as Token[];
  } catch (error) {
    throw invalid(where, (error as Error).message);
  }
  for (const [type, value] of tokens) {
    if (type === 'text') continue;
    if (type !== 'name') {
      throw invalid(where, 'only {{placeholder}} tags may be used (no sections, partials or {{{ }}} tags)');
    }
    if (!allowed.includes(value)) {
      throw invalid(
        where,
        `{{${value}}} is not a placeholder of this mail; use ${allowed.map((p) => `{{${p}}}`).join(', ')}`,
      );
    }
  }
}

const invalid = (where: 'subject' | 'body', message: string) =>
  new SignetError('EMAIL_TEMPLATE_INVALID', `The ${where}: ${message}`, [{ path: `/${where}`, message }]);

/** Refuses a template that uses tags or placeholders its kind does not have. */
export function checkTemplate(kind: TemplateKind, template: MailTemplate): void {
  const allowed = placeholdersOf(kind);
  const hidden = NOT_IN_SUBJECT[kind] ?? [];
  parseTemplate(
    template.subject,
    'subject',
    allowed.filter((name) => !hidden.includes(name)),
  );
  parseTemplate(template.body, 'body', allowed);
}

/** Renders a checked template as plain text: values go in as they are (the HTML part escapes). */
export function renderText(template: string, view: Record<string, string>): string {
  return Mustache.render(template, view, {}, { escape: (value: unknown) => String(value) });
}
