import { createHash } from 'node:crypto';
import { colord, extend } from 'colord';
import a11yPlugin from 'colord/plugins/a11y';
import { z } from 'zod';
import type { Config } from '../config/config.ts';
import type { Database, Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { PADES_LEVELS, type PadesLevel } from '../pdf/pades.ts';
import { forgetCustomDomains, normalizeHost } from './customDomains.ts';
import { normalizeEmbeddingOrigins } from './embedding.ts';
import { isUuid } from './organizations.ts';
import { loadSignaturePolicy, updateSignaturePolicy } from './signaturePolicy.ts';

extend([a11yPlugin]);

/*
 * An organisation's settings (SPEC §F, §G): its name, white-label branding, consent wording, mail
 * language, custom domain, and the defaults new envelopes take when their request does not say
 * (lifetime, reminder schedule) — beside the signature policy (PAdES level, per-signer
 * signatures), which stays where it was (signaturePolicy.ts) and is read and written through it.
 */

/** Languages mail, the timeline and the certificate's words come in; English is the fallback. */
export const LANGUAGES = ['en', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Every link and button in a mail and the ceremony is drawn in white on the primary colour. */
export const DEFAULT_PRIMARY_COLOR = '#1f4fd1';
/** WCAG 2.1 AA for normal text: white on the primary colour must reach it. */
export const MINIMUM_CONTRAST = 4.5;

/** The wording a signer agrees to when the organisation set none, and its version. */
export const STANDARD_CONSENT_VERSION = 'esign-consent-v1';
export const STANDARD_CONSENT_TEXT =
  'I agree to use electronic records and signatures, and I understand that my electronic signature ' +
  'is as legally binding as a handwritten one.';

export const reminderSchedule = z
  .strictObject({
    firstAfterDays: z.number().int().min(1).max(365).describe('Days after sending until the first reminder'),
    everyDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .nullable()
      .describe('Days between later reminders; null: only the first'),
  })
  .meta({ id: 'ReminderSchedule' });
export type ReminderSchedule = z.infer<typeof reminderSchedule>;

const hexColor = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb')
  .transform((value) => value.toLowerCase());

/** PATCH /api/v1/organization: every property optional; null puts a setting back to its default. */
export const organizationSettingsInput = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  branding: z
    .strictObject({
      productName: z.string().trim().min(1).max(100).nullable().optional(),
      primaryColor: hexColor.nullable().optional(),
      emailSenderName: z.string().trim().min(1).max(100).nullable().optional(),
      replyTo: z.email().max(254).nullable().optional(),
    })
    .optional(),
  consentText: z.string().trim().min(20).max(4000).nullable().optional(),
  defaultLanguage: z.enum(LANGUAGES).optional(),
  customDomain: z.string().trim().min(1).max(253).nullable().optional(),
  /** Origins whose pages may frame the signing ceremony (embedding.ts checks each). */
  embeddingOrigins: z.array(z.string().max(300)).max(100).optional(),
  defaults: z
    .strictObject({
      expiryDays: z.number().int().min(1).max(3650).nullable().optional(),
      reminders: reminderSchedule.nullable().optional(),
      padesLevel: z.enum(PADES_LEVELS as unknown as [PadesLevel, ...PadesLevel[]]).optional(),
      perSignerSignatures: z.boolean().optional(),
    })
    .optional(),
});
export type OrganizationSettingsInput = z.infer<typeof organizationSettingsInput>;

export interface LogoInfo {
  sha256: string;
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

export interface OrganizationSettings {
  id: string;
  name: string;
  /** False while the first start's organisation still has its placeholder name. */
  nameConfirmed: boolean;
  branding: {
    /** Null: the organisation's name. */
    productName: string | null;
    /** Null: the default colour. */
    primaryColor: string | null;
    emailSenderName: string | null;
    replyTo: string | null;
    /** The public path of the logo (cache-busted by its digest); null: none. */
    logoUrl: string | null;
    logo: LogoInfo | null;
  };
  /** Null: the standard wording (`standardConsentText`). */
  consentText: string | null;
  standardConsentText: string;
  defaultLanguage: Language;
  customDomain: string | null;
  embeddingOrigins: string[];
  defaults: {
    /** Days from sending until an envelope expires. */
    expiryDays: number;
    /** Whether `expiryDays` is the platform's default rather than the organisation's own. */
    expiryDaysIsDefault: boolean;
    reminders: ReminderSchedule | null;
    padesLevel: PadesLevel;
    perSignerSignatures: boolean;
  };
}

export interface OrganizationRow {
  id: string;
  name: string;
  name_confirmed: boolean;
  product_name: string | null;
  primary_color: string | null;
  email_sender_name: string | null;
  reply_to: string | null;
  logo_sha256: string | null;
  logo_content_type: 'image/png' | 'image/jpeg' | null;
  logo_width: number | null;
  logo_height: number | null;
  consent_text: string | null;
  default_language: Language;
  default_expiry_days: number | null;
  reminder_first_days: number | null;
  reminder_every_days: number | null;
  custom_domain: string | null;
  embedding_origins: string[];
}

export async function loadOrganizationRow(sql: Sql, organizationId: string): Promise<OrganizationRow> {
  if (!isUuid(organizationId)) throw new SignetError('ORGANIZATION_NOT_FOUND', 'No such organization');
  const [row] = await sql.query<OrganizationRow>('select * from organizations where id = $1', [
    organizationId,
  ]);
  if (!row) throw new SignetError('ORGANIZATION_NOT_FOUND', 'No such organization');
  return row;
}

export const logoPath = (organizationId: string, sha256: string) =>
  `/branding/${organizationId}/logo?v=${sha256.slice(0, 16)}`;

const scheduleOf = (first: number | null, every: number | null): ReminderSchedule | null =>
  first === null ? null : { firstAfterDays: first, everyDays: every };

export async function loadOrganizationSettings(
  sql: Sql,
  config: Pick<Config, 'envelopeExpiryDays'>,
  organizationId: string,
): Promise<OrganizationSettings> {
  const row = await loadOrganizationRow(sql, organizationId);
  const policy = await loadSignaturePolicy(sql, organizationId);
  const logo: LogoInfo | null =
    row.logo_sha256 && row.logo_content_type
      ? {
          sha256: row.logo_sha256,
          contentType: row.logo_content_type,
          width: row.logo_width ?? 0,
          height: row.logo_height ?? 0,
        }
      : null;
  return {
    id: row.id,
    name: row.name,
    nameConfirmed: row.name_confirmed,
    branding: {
      productName: row.product_name,
      primaryColor: row.primary_color,
      emailSenderName: row.email_sender_name,
      replyTo: row.reply_to,
      logoUrl: logo ? logoPath(row.id, logo.sha256) : null,
      logo,
    },
    consentText: row.consent_text,
    standardConsentText: STANDARD_CONSENT_TEXT,
    defaultLanguage: row.default_language,
    customDomain: row.custom_domain,
    embeddingOrigins: row.embedding_origins ?? [],
    defaults: {
      expiryDays: row.default_expiry_days ?? config.envelopeExpiryDays,
      expiryDaysIsDefault: row.default_expiry_days === null,
      reminders: scheduleOf(row.reminder_first_days, row.reminder_every_days),
      padesLevel: policy.padesLevel,
      perSignerSignatures: policy.perSignerSignatures,
    },
  };
}

/** The contrast of white text on `color` (WCAG 2.1 relative luminance), e.g. 4.5. */
export const contrastWithWhite = (color: string) => colord(color).contrast('#ffffff');

function assertReadableOnWhite(color: string): void {
  const ratio = contrastWithWhite(color);
  if (ratio < MINIMUM_CONTRAST) {
    throw new SignetError(
      'BRANDING_COLOR_LOW_CONTRAST',
      `White text on ${color} has a contrast of ${ratio.toFixed(2)}:1; buttons and links need at least ${MINIMUM_CONTRAST}:1 (WCAG 2.1 AA). Choose a darker colour.`,
      [{ path: '/branding/primaryColor', message: `contrast ${ratio.toFixed(2)}:1 with white` }],
    );
  }
}

/**
 * A custom domain: a lower-case host name with at least two labels, not an address and not the
 * platform's own host (which belongs to every organisation).
 */
function checkedCustomDomain(value: string, platformHost: string): string {
  const host = normalizeHost(value);
  const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
  const labels = host.split('.');
  const problem =
    host.length > 253 || labels.length < 2 || !labels.every((part) => label.test(part))
      ? 'is not a host name (e.g. sign.example.com)'
      : /^\d+$/.test(labels.at(-1) ?? '')
        ? 'is an IP address, not a host name'
        : host === platformHost
          ? "is this platform's own host"
          : null;
  if (problem) {
    throw new SignetError('CUSTOM_DOMAIN_INVALID', `${value} ${problem}`, [
      { path: '/customDomain', message: problem },
    ]);
  }
  return host;
}

/** Applies a change to an organisation's settings, in one transaction; answers the settings after it. */
export async function updateOrganizationSettings(
  db: Database,
  config: Pick<Config, 'envelopeExpiryDays' | 'publicUrl'>,
  organizationId: string,
  change: OrganizationSettingsInput,
): Promise<OrganizationSettings> {
  const branding = change.branding ?? {};
  if (branding.primaryColor) assertReadableOnWhite(branding.primaryColor);
  const customDomain =
    change.customDomain === undefined || change.customDomain === null
      ? change.customDomain
      : checkedCustomDomain(change.customDomain, new URL(config.publicUrl).hostname.toLowerCase());
  const defaults = change.defaults ?? {};
  const embeddingOrigins =
    change.embeddingOrigins === undefined ? undefined : embeddingOriginsOf(change.embeddingOrigins);
  const updated = await db.transaction(async (tx) => {
    await loadOrganizationRow(tx, organizationId);
    if (customDomain) {
      const [taken] = await tx.query(`select 1 from organizations where custom_domain = $1 and id <> $2`, [
        customDomain,
        organizationId,
      ]);
      if (taken) throw customDomainTaken(customDomain);
    }
    // Each column is set only when its property was given (undefined keeps it; null resets it).
    const sets: string[] = [];
    const params: unknown[] = [organizationId];
    const set = (column: string, value: unknown) => {
      if (value === undefined) return;
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (change.name !== undefined) {
      set('name', change.name);
      set('name_confirmed', true);
    }
    set('product_name', branding.productName);
    set('primary_color', branding.primaryColor);
    set('email_sender_name', branding.emailSenderName);
    set('reply_to', branding.replyTo === null ? null : branding.replyTo?.toLowerCase());
    set('consent_text', change.consentText);
    set('default_language', change.defaultLanguage);
    set('custom_domain', customDomain);
    set('embedding_origins', embeddingOrigins);
    set('default_expiry_days', defaults.expiryDays);
    if (defaults.reminders !== undefined) {
      set('reminder_first_days', defaults.reminders?.firstAfterDays ?? null);
      set('reminder_every_days', defaults.reminders?.everyDays ?? null);
    }
    if (sets.length > 0) {
      try {
        await tx.query(`update organizations set ${sets.join(', ')} where id = $1`, params);
      } catch (error) {
        // Two organisations claiming one domain at once: the unique index decides.
        if (customDomain && /unique|duplicate/i.test(String((error as Error).message)))
          throw customDomainTaken(customDomain);
        throw error;
      }
    }
    if (defaults.padesLevel !== undefined || defaults.perSignerSignatures !== undefined) {
      await updateSignaturePolicy(tx, organizationId, {
        ...(defaults.padesLevel !== undefined ? { padesLevel: defaults.padesLevel } : {}),
        ...(defaults.perSignerSignatures !== undefined
          ? { perSignerSignatures: defaults.perSignerSignatures }
          : {}),
      });
    }
    return loadOrganizationSettings(tx, config, organizationId);
  });
  if (customDomain !== undefined) forgetCustomDomains(db);
  return updated;
}

/** The origins checked by the embedding module, its problems pointed at this document's property. */
function embeddingOriginsOf(values: string[]): string[] {
  try {
    return normalizeEmbeddingOrigins(values);
  } catch (error) {
    if (error instanceof SignetError && error.errors) {
      throw new SignetError(
        error.code,
        error.detail,
        error.errors.map((problem) => ({
          ...problem,
          path: problem.path.replace(/^\/origins/, '/embeddingOrigins'),
        })),
      );
    }
    throw error;
  }
}

const customDomainTaken = (domain: string) =>
  new SignetError('CUSTOM_DOMAIN_TAKEN', `${domain} is already another organisation's domain`, [
    { path: '/customDomain', message: 'already in use' },
  ]);

/** What a new envelope takes from its organisation when its request does not say. */
export interface EnvelopeDefaults {
  /** Null: the platform's ENVELOPE_EXPIRY_DAYS. */
  expiryDays: number | null;
  reminders: ReminderSchedule | null;
  language: Language;
}

export async function loadEnvelopeDefaults(sql: Sql, organizationId: string): Promise<EnvelopeDefaults> {
  const row = await loadOrganizationRow(sql, organizationId);
  return {
    expiryDays: row.default_expiry_days,
    reminders: scheduleOf(row.reminder_first_days, row.reminder_every_days),
    language: row.default_language,
  };
}

/**
 * The consent wording a signer of this organisation is shown and agrees to, and its version (the
 * standard one's, or `org-` and the first hex digits of the custom wording's SHA-256), for the
 * ceremony to show and record in the audit trail.
 */
export async function consentFor(
  sql: Sql,
  organizationId: string,
): Promise<{ version: string; text: string }> {
  const row = await loadOrganizationRow(sql, organizationId);
  if (!row.consent_text) return { version: STANDARD_CONSENT_VERSION, text: STANDARD_CONSENT_TEXT };
  const digest = createHash('sha256').update(row.consent_text).digest('hex').slice(0, 12);
  return { version: `org-${digest}`, text: row.consent_text };
}
