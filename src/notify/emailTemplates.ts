import type { Sql } from '../db/database.ts';
import { LANGUAGES, type Language } from '../orgs/settings.ts';
import {
  checkTemplate,
  defaultTemplate,
  type MailTemplate,
  placeholdersOf,
  TEMPLATE_KINDS,
  type TemplateKind,
} from './templates.ts';

/** An organisation's own templates, by `kind:language`. */
export type CustomTemplates = ReadonlyMap<string, MailTemplate>;

export const templateKey = (kind: TemplateKind, language: Language) => `${kind}:${language}`;

export async function loadCustomTemplates(sql: Sql, organizationId: string): Promise<CustomTemplates> {
  const rows = await sql.query<{ kind: TemplateKind; language: Language; subject: string; body: string }>(
    'select kind, language, subject, body from email_templates where organization_id = $1',
    [organizationId],
  );
  return new Map(
    rows.map((row) => [templateKey(row.kind, row.language), { subject: row.subject, body: row.body }]),
  );
}

export interface EmailTemplateView {
  kind: TemplateKind;
  language: Language;
  subject: string;
  body: string;
  /** False: the standard wording (the organisation has not written its own). */
  custom: boolean;
  placeholders: string[];
}

/** Every kind in every language: the organisation's wording where it has one, else the standard. */
export async function listEmailTemplates(sql: Sql, organizationId: string): Promise<EmailTemplateView[]> {
  const custom = await loadCustomTemplates(sql, organizationId);
  return TEMPLATE_KINDS.flatMap((kind) =>
    LANGUAGES.map((language) => templateView(kind, language, custom.get(templateKey(kind, language)))),
  );
}

function templateView(
  kind: TemplateKind,
  language: Language,
  own: MailTemplate | undefined,
): EmailTemplateView {
  const template = own ?? defaultTemplate(kind, language);
  return { kind, language, ...template, custom: own !== undefined, placeholders: placeholdersOf(kind) };
}

export async function saveEmailTemplate(
  sql: Sql,
  organizationId: string,
  kind: TemplateKind,
  language: Language,
  template: MailTemplate,
): Promise<EmailTemplateView> {
  checkTemplate(kind, template);
  await sql.query(
    `insert into email_templates (organization_id, kind, language, subject, body) values ($1, $2, $3, $4, $5)
     on conflict (organization_id, kind, language) do update set subject = excluded.subject, body = excluded.body,
       updated_at = now()`,
    [organizationId, kind, language, template.subject, template.body],
  );
  return templateView(kind, language, template);
}

/** Back to the standard wording. */
export async function resetEmailTemplate(
  sql: Sql,
  organizationId: string,
  kind: TemplateKind,
  language: Language,
): Promise<EmailTemplateView> {
  await sql.query('delete from email_templates where organization_id = $1 and kind = $2 and language = $3', [
    organizationId,
    kind,
    language,
  ]);
  return templateView(kind, language, undefined);
}
