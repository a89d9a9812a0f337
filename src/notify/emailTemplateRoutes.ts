import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../http/apiKeyAuth.ts';
import { errorAnswers } from '../http/contract.ts';
import { brandingFor } from '../orgs/branding.ts';
import { publicUrlFor } from '../orgs/customDomains.ts';
import { LANGUAGES, loadOrganizationRow } from '../orgs/settings.ts';
import type { Platform } from '../platform.ts';
import {
  listEmailTemplates,
  loadCustomTemplates,
  resetEmailTemplate,
  saveEmailTemplate,
  templateKey,
} from './emailTemplates.ts';
import { mailBrand } from './envelopeFacts.ts';
import { previewMail } from './messages.ts';
import { checkTemplate, defaultTemplate, TEMPLATE_KINDS } from './templates.ts';

const templateView = z
  .object({
    kind: z.enum(TEMPLATE_KINDS),
    language: z.enum(LANGUAGES),
    subject: z.string(),
    body: z.string().describe('Plain text; paragraphs are separated by a blank line'),
    custom: z.boolean().describe('False: the standard wording'),
    placeholders: z.array(z.string()).describe('What {{placeholder}} this kind of mail may use'),
  })
  .meta({ id: 'EmailTemplate' });

const templateInput = z.strictObject({
  language: z.enum(LANGUAGES),
  subject: z.string().trim().min(1).max(250),
  body: z.string().trim().min(1).max(10_000),
});

const previewInput = z.strictObject({
  language: z.enum(LANGUAGES).optional().describe('Default: the organisation’s default language'),
  subject: z
    .string()
    .trim()
    .min(1)
    .max(250)
    .optional()
    .describe('A draft to preview instead of the saved one'),
  body: z.string().trim().min(1).max(10_000).optional(),
});

const previewView = z
  .object({ subject: z.string(), text: z.string(), html: z.string(), fromName: z.string() })
  .meta({ id: 'EmailPreview' });

const kindParams = z.strictObject({ kind: z.enum(TEMPLATE_KINDS) });
const languageQuery = z.strictObject({ language: z.enum(LANGUAGES) });

/**
 * The organisation's mail wording (SPEC §G): each kind of mail in each language, its own or the
 * standard, and a preview of the mail as a recipient would get it — brand, layout and all.
 */
export async function emailTemplateRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const tags = ['organization'];
  const admin = { config: { scope: 'organization:admin' as const } };

  app.get(
    '/api/v1/organization/email-templates',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Every kind of mail in every language, with its placeholders',
        response: { 200: z.object({ templates: z.array(templateView) }), ...errorAnswers },
      },
    },
    async (request) => ({
      templates: await listEmailTemplates(platform.db, principalOf(request).organizationId),
    }),
  );

  app.put(
    '/api/v1/organization/email-templates/:kind',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Set the subject and body of a kind of mail in one language',
        description:
          'Templates are plain text with {{placeholder}} tags only (see `placeholders`); values are inserted as text and escaped in the HTML part. The link button is always added.',
        params: kindParams,
        body: templateInput,
        response: { 200: templateView, ...errorAnswers },
      },
    },
    async (request) => {
      const { language, subject, body } = request.body;
      return saveEmailTemplate(
        platform.db,
        principalOf(request).organizationId,
        request.params.kind,
        language,
        {
          subject,
          body,
        },
      );
    },
  );

  app.delete(
    '/api/v1/organization/email-templates/:kind',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Go back to the standard wording of a kind of mail in one language',
        params: kindParams,
        querystring: languageQuery,
        response: { 200: templateView, ...errorAnswers },
      },
    },
    async (request) =>
      resetEmailTemplate(
        platform.db,
        principalOf(request).organizationId,
        request.params.kind,
        request.query.language,
      ),
  );

  app.post(
    '/api/v1/organization/email-templates/:kind/preview',
    {
      ...admin,
      schema: {
        tags,
        summary: 'The mail as a recipient would get it, about a sample envelope',
        description: 'Previews the saved wording, or the `subject` and `body` given (a draft, not saved).',
        params: kindParams,
        body: previewInput,
        response: { 200: previewView, ...errorAnswers },
      },
    },
    async (request) => {
      const organizationId = principalOf(request).organizationId;
      const { kind } = request.params;
      const organization = await loadOrganizationRow(platform.db, organizationId);
      const language = request.body.language ?? organization.default_language;
      const templates = await loadCustomTemplates(platform.db, organizationId);
      const saved = templates.get(templateKey(kind, language)) ?? defaultTemplate(kind, language);
      const draft =
        request.body.subject !== undefined || request.body.body !== undefined
          ? {
              subject: request.body.subject ?? saved.subject,
              body: request.body.body ?? saved.body,
            }
          : undefined;
      if (draft) checkTemplate(kind, draft);
      const baseUrl = await publicUrlFor(platform.db, platform.config.publicUrl, organizationId);
      const brand = mailBrand(await brandingFor(platform.db, organizationId), baseUrl);
      const mail = previewMail(kind, brand, language, draft, templates);
      return { subject: mail.subject, text: mail.text, html: mail.html, fromName: mail.fromName ?? '' };
    },
  );
}
