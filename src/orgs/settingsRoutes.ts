import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { principalOf } from '../http/apiKeyAuth.ts';
import { binary, documentedOnly, errorAnswers, uuid } from '../http/contract.ts';
import { PADES_LEVELS, type PadesLevel } from '../pdf/pades.ts';
import type { Platform } from '../platform.ts';
import { brandingFor, MAX_LOGO_BYTES, readLogo, removeLogo, storeLogo } from './branding.ts';
import { organizationForHost } from './customDomains.ts';
import { isUuid } from './organizations.ts';
import {
  LANGUAGES,
  loadOrganizationSettings,
  logoPath,
  organizationSettingsInput,
  reminderSchedule,
  updateOrganizationSettings,
} from './settings.ts';

const logoView = z
  .object({
    url: z.string().describe('Public, cache-busted path of the logo on the organisation’s host'),
    contentType: z.enum(['image/png', 'image/jpeg']),
    width: z.number().int(),
    height: z.number().int(),
    sha256: z.string(),
  })
  .meta({ id: 'OrganizationLogo' });

const organizationView = z
  .object({
    id: z.string(),
    name: z.string(),
    nameConfirmed: z
      .boolean()
      .describe(
        'False while the first start’s organisation still has its placeholder name: ask for the real one',
      ),
    branding: z.object({
      productName: z
        .string()
        .nullable()
        .describe('What signers see as the product; null: the organisation’s name'),
      primaryColor: z.string().nullable().describe('#rrggbb for buttons and links; null: the default'),
      emailSenderName: z.string().nullable().describe('The From name of mail; null: the product name'),
      replyTo: z.string().nullable().describe('Where replies to mail go; null: the sender’s address'),
      logo: logoView.nullable(),
    }),
    consentText: z.string().nullable().describe('What signers agree to; null: `standardConsentText`'),
    standardConsentText: z.string(),
    defaultLanguage: z.enum(LANGUAGES).describe('Mail language for recipients who have none of their own'),
    customDomain: z
      .string()
      .nullable()
      .describe('Host name whose requests and links are this organisation’s'),
    embeddingOrigins: z
      .array(z.string())
      .describe('Origins whose pages may frame the signing ceremony (embedded signing); none by default'),
    defaults: z.object({
      expiryDays: z.number().int().describe('Days from sending until a new envelope expires'),
      expiryDaysIsDefault: z.boolean().describe('True: the platform’s ENVELOPE_EXPIRY_DAYS, not set here'),
      reminders: reminderSchedule.nullable().describe('Automatic reminders of new envelopes; null: none'),
      padesLevel: z.enum(PADES_LEVELS as unknown as [PadesLevel, ...PadesLevel[]]),
      perSignerSignatures: z.boolean(),
    }),
  })
  .meta({ id: 'Organization' });

const staffSignInView = z
  .object({
    saml: z
      .boolean()
      .describe('Staff may sign in through the organisation’s SAML provider (/auth/sso/{id}/saml)'),
    oidc: z
      .boolean()
      .describe('Staff may sign in through the organisation’s OpenID provider (/auth/sso/{id}/oidc)'),
  })
  .describe('The single sign-on the organisation offers its staff, for its sign-in page');

const brandingView = z
  .object({
    organizationId: z.string(),
    productName: z.string(),
    primaryColor: z.string(),
    logoUrl: z.string().nullable().describe('Path of the logo on the organisation’s host; null: none'),
    staffSignIn: staffSignInView,
  })
  .meta({ id: 'Branding' });

const hostBrandingView = z
  .object({
    organizationId: z.string().nullable(),
    productName: z.string().nullable(),
    primaryColor: z.string().nullable(),
    logoUrl: z.string().nullable(),
    staffSignIn: staffSignInView.nullable(),
  })
  .meta({
    id: 'HostBranding',
    description:
      'The brand of the organisation whose custom domain the request came to; all null on any other host',
  });

const organizationParams = z.strictObject({ organizationId: uuid() });

const imageAnswer = {
  description: 'The logo',
  content: { 'image/png': { schema: binary }, 'image/jpeg': { schema: binary } },
};

const LOGO_CONTENT_TYPES = ['image/png', 'image/jpeg', 'application/octet-stream'];

/** The settings as the API answers them: the logo's path in place of its stored digest. */
async function settingsAnswer(platform: Platform, organizationId: string) {
  return settingsView(await loadOrganizationSettings(platform.db, platform.config, organizationId));
}

function settingsView(settings: Awaited<ReturnType<typeof loadOrganizationSettings>>) {
  const { logo, logoUrl: _path, ...branding } = settings.branding;
  return {
    ...settings,
    branding: {
      ...branding,
      logo: logo ? { ...logo, url: logoPath(settings.id, logo.sha256) } : null,
    },
  };
}

/**
 * Organisation settings and white-label branding (SPEC §F, §G): read by anyone signed in to the
 * organisation, changed by its admins; the brand itself (name, colour, logo) is public, for the
 * signing pages and mail.
 */
export async function organizationSettingsRoutes(fastify: FastifyInstance, platform: Platform) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const tags = ['organization'];

  app.get(
    '/api/v1/organization',
    {
      config: { scope: 'envelopes:read' },
      schema: {
        tags,
        summary: 'The organisation’s settings',
        response: { 200: organizationView, ...errorAnswers },
      },
    },
    (request) => settingsAnswer(platform, principalOf(request).organizationId),
  );

  app.patch(
    '/api/v1/organization',
    {
      config: { scope: 'organization:admin' },
      schema: {
        tags,
        summary: 'Change the name, branding, consent text, language, custom domain or defaults',
        description:
          'Give only what changes; `null` puts a setting back to its default. The primary colour must give white text a contrast of at least 4.5:1. Defaults apply to envelopes created afterwards.',
        body: organizationSettingsInput,
        response: { 200: organizationView, ...errorAnswers },
      },
    },
    async (request) =>
      settingsView(
        await updateOrganizationSettings(
          platform.db,
          platform.config,
          principalOf(request).organizationId,
          request.body,
        ),
      ),
  );

  // The logo arrives as the request body; its type is read from its bytes, not from the header.
  app.addContentTypeParser(
    LOGO_CONTENT_TYPES,
    { parseAs: 'buffer', bodyLimit: 4 * MAX_LOGO_BYTES },
    (_request, body, done) => done(null, body),
  );

  app.put(
    '/api/v1/organization/logo',
    {
      config: { scope: 'organization:admin' },
      // A declared size over the limit is refused before the body is read.
      onRequest: async (request: FastifyRequest) => {
        const declared = Number(request.headers['content-length']);
        if (Number.isFinite(declared) && declared > MAX_LOGO_BYTES) {
          throw new SignetError('LOGO_TOO_LARGE', `The logo may be at most ${MAX_LOGO_BYTES / 1024} kB`);
        }
      },
      schema: {
        tags,
        summary: 'Upload the logo (PNG or JPEG, at most 256 kB, 16 to 2000 pixels a side)',
        body: {
          content: {
            'image/png': { schema: documentedOnly(binary) },
            'image/jpeg': { schema: documentedOnly(binary) },
          },
        },
        response: { 200: logoView, ...errorAnswers },
      },
    },
    async (request) => {
      const organizationId = principalOf(request).organizationId;
      if (!Buffer.isBuffer(request.body)) {
        throw new SignetError('LOGO_UNSUPPORTED', 'Send the PNG or JPEG image as the request body');
      }
      const logo = await storeLogo(platform.db, platform.blobs, organizationId, new Uint8Array(request.body));
      return { ...logo, url: logoPath(organizationId, logo.sha256) };
    },
  );

  app.delete(
    '/api/v1/organization/logo',
    {
      config: { scope: 'organization:admin' },
      schema: {
        tags,
        summary: 'Remove the logo',
        response: { 204: z.null().describe('Removed'), ...errorAnswers },
      },
    },
    async (request, reply) => {
      await removeLogo(platform.db, principalOf(request).organizationId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/branding/:organizationId/logo',
    {
      schema: {
        tags: ['browser'],
        summary: 'An organisation’s logo (public: mail and signing pages show it)',
        params: organizationParams,
        response: { 200: imageAnswer, ...errorAnswers },
      },
    },
    async (request, reply) => {
      const { organizationId } = request.params;
      const logo = isUuid(organizationId)
        ? await readLogo(platform.db, platform.blobs, organizationId)
        : null;
      if (!logo) throw new SignetError('LOGO_NOT_FOUND', 'This organisation has no logo');
      // Its URL carries its digest (?v=), so a new logo is a new URL and this one may be kept a year.
      return reply
        .type(logo.contentType)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('etag', `"${logo.sha256.slice(0, 32)}"`)
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('content-security-policy', "default-src 'none'")
        .send(logo.bytes);
    },
  );

  app.get(
    '/api/v1/branding/:organizationId',
    {
      schema: {
        tags,
        summary: 'An organisation’s brand: product name, colour and logo (public)',
        params: organizationParams,
        response: { 200: brandingView, ...errorAnswers },
      },
    },
    async (request) => {
      if (!isUuid(request.params.organizationId))
        throw new SignetError('ORGANIZATION_NOT_FOUND', 'No such organization');
      return publicBranding(
        await brandingFor(platform.db, request.params.organizationId),
        await staffSignInOf(platform.db, request.params.organizationId),
      );
    },
  );

  app.get(
    '/api/v1/branding',
    {
      schema: {
        tags,
        summary:
          'The brand of the organisation this host belongs to (its custom domain), for its sign-in page',
        response: { 200: hostBrandingView, ...errorAnswers },
      },
    },
    async (request) => {
      const organizationId = await organizationForHost(platform.db, request.hostname);
      if (!organizationId)
        return {
          organizationId: null,
          productName: null,
          primaryColor: null,
          logoUrl: null,
          staffSignIn: null,
        };
      return publicBranding(
        await brandingFor(platform.db, organizationId),
        await staffSignInOf(platform.db, organizationId),
      );
    },
  );
}

/** Which single sign-on the organisation has turned on for its staff (orgs/sso.ts, identity/). */
async function staffSignInOf(db: Sql, organizationId: string) {
  const [row] = await db.query<{ saml: boolean; oidc: boolean }>(
    `select exists (select 1 from saml_identity_providers where organization_id = $1 and staff_sign_in) as saml,
            exists (select 1 from oidc_providers where organization_id = $1 and staff_sign_in) as oidc`,
    [organizationId],
  );
  return { saml: Boolean(row?.saml), oidc: Boolean(row?.oidc) };
}

const publicBranding = (
  branding: Awaited<ReturnType<typeof brandingFor>>,
  staffSignIn: { saml: boolean; oidc: boolean },
) => ({
  staffSignIn,
  organizationId: branding.organizationId,
  productName: branding.productName,
  primaryColor: branding.primaryColor,
  logoUrl: branding.logoUrl,
});
