import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { formatNetwork, parseNetwork } from '../outbound/addressPolicy.ts';

/**
 * Signet's private OID arc is the UUID OID 2.25.121976768450177053882281100737692893257 (ITU-T
 * X.667 §6.3, no registration needed; src/pki/timestamping/devTsa.ts uses `.1` of it). `.2`
 * names "Signet development certificate policy": good for trials, never for production, where
 * the operator's own certificate policy (and its OID) is what relying parties judge.
 */
export const DEVELOPMENT_CERTIFICATE_POLICY_OID = '2.25.121976768450177053882281100737692893257.2';
export const DEVELOPMENT_ORGANIZATION = 'Signet Development';

/**
 * X.520 caps commonName at 64 characters (RFC 5280 Appendix A.1) and the longest name built
 * from the organisation is "<organisation> Time-Stamping Authority" (24 more).
 */
const MAX_PKI_ORGANIZATION = 40;

/** X.660 dotted form, no leading zeros; under arcs 0 and 1 the second arc is at most 39 (X.690 §8.19.4). */
const OBJECT_IDENTIFIER = /^(?:[01]\.(?:[0-9]|[1-3][0-9])|2\.(?:0|[1-9][0-9]*))(?:\.(?:0|[1-9][0-9]*))*$/;

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/**
 * One typed configuration object, parsed once from the environment at start.
 * Every bad value is reported with its variable name; the process refuses to start.
 */
const urlFromEnv = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: urlFromEnv(['http:', 'https:']).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: urlFromEnv(['postgres:', 'postgresql:']).optional(),
  SMTP_URL: urlFromEnv(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().min(3).default('Signet <no-reply@signet.localhost>'),
  MASTER_KEY: z
    .string()
    .refine((value) => Buffer.from(value, 'base64').length === 32, {
      message: 'must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)',
    })
    .optional(),
  MAX_UPLOAD_MB: z.coerce.number().positive().max(1024).default(50),
  // All documents of one request together (a request may carry up to 50).
  MAX_REQUEST_MB: z.coerce.number().positive().max(4096).default(100),
  ENVELOPE_EXPIRY_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  // The name of the organisation the first start creates; unset: a placeholder the web app asks to replace.
  ORGANIZATION_NAME: z.string().trim().min(1).max(200).optional(),
  SIGNING_URL_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(300),
  SEAL_PKCS12_PATH: z.string().min(1).optional(),
  SEAL_PKCS12_PASSWORD: z.string().optional(),
  // A key in the key store sealing with the chain `signet keys import-cert` installed for it.
  SEAL_KEY_LABEL: z.string().min(1).max(64).optional(),
  // The offline root CA's passphrase, for `signet ca …` on the offline machine (or --passphrase-file).
  OFFLINE_CA_PASSPHRASE: z.string().optional(),
  PKCS11_MODULE: z.string().min(1).optional(),
  PKCS11_TOKEN_LABEL: z
    .string()
    .refine((value) => Buffer.byteLength(value) <= 32, {
      message: 'at most 32 bytes (the size of a CK_TOKEN_INFO label)',
    })
    .optional(),
  PKCS11_PIN: z.string().optional(),
  // Comma-separated RFC 3161 TSA URLs, tried in order; unset: Signet's built-in TSA.
  TSA_URLS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean),
    )
    .pipe(z.array(urlFromEnv(['http:', 'https:'])))
    .optional(),
  TSA_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  // What Signet's CA writes into its certificates: README "Certificate profiles".
  PKI_POLICY_OID: z
    .string()
    .trim()
    .regex(OBJECT_IDENTIFIER, {
      message: 'must be an object identifier in dotted form, e.g. 1.3.6.1.4.1.99999.1',
    })
    .default(DEVELOPMENT_CERTIFICATE_POLICY_OID),
  PKI_ORGANIZATION: z.string().trim().min(1).max(MAX_PKI_ORGANIZATION).default(DEVELOPMENT_ORGANIZATION),
  PKI_COUNTRY: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2}$/, { message: 'must be a two-letter ISO 3166-1 country code, e.g. DE' })
    .transform((value) => value.toUpperCase())
    .optional(),
  SIGNER_CERT_VALIDITY_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  // A sealed file is renewed when its newest archive time-stamp's chain expires within this
  // margin (issue #13), or rests on one of the retired algorithms.
  ARCHIVE_RENEWAL_MARGIN_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  ARCHIVE_RETIRED_ALGORITHMS: z
    .string()
    .default('md5,sha1')
    .transform((list) =>
      list
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean),
    ),
  SIGNER_CERT_REVOKE_AFTER_USE: booleanFromEnv.default(false),
  // One-time codes by SMS: unset keeps them in the outbox (GET /api/v1/outbox/sms, for admins).
  SMS_PROVIDER: z.enum(['twilio']).optional(),
  TWILIO_ACCOUNT_SID: z.string().min(1).optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_FROM: z.string().min(1).optional(),
  TWILIO_API_URL: urlFromEnv(['http:', 'https:']).default('https://api.twilio.com'),
  // Which proxies may set X-Forwarded-For: their addresses/CIDRs, or a hop count. Never "everyone".
  TRUST_PROXY: z
    .string()
    .transform((value, context) => parseTrustProxy(value, context))
    .default(false),
  // Heavy PDF work (upload inspection, verification, composition) on worker threads, within limits.
  PDF_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  PDF_WORK_TIMEOUT_SECONDS: z.coerce.number().positive().max(3600).default(60),
  PDF_WORK_MEMORY_MB: z.coerce.number().int().min(64).max(65_536).default(1024),
  PDF_MAX_OBJECTS: z.coerce.number().int().min(1000).max(100_000_000).default(2_000_000),
  PDF_MAX_STREAM_MB: z.coerce.number().positive().max(4096).default(32),
  PDF_MAX_INFLATED_MB: z.coerce.number().positive().max(65_536).default(128),
  PDF_MAX_REVISIONS: z.coerce.number().int().min(1).max(10_000).default(64),
  // What tenant-given URLs (IdP metadata, OIDC issuers, URLs inside verified PDFs) may reach
  // besides public addresses: see src/outbound/addressPolicy.ts. Default: nothing else.
  OUTBOUND_ALLOW_PRIVATE_NETWORKS: booleanFromEnv.default(false),
  OUTBOUND_ALLOWED_NETWORKS: z
    .string()
    .transform((value, context) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
        .map((item) => {
          const network = parseNetwork(item);
          if (!network) {
            context.addIssue({
              code: 'custom',
              message: 'each item must be a CIDR (10.0.0.0/8) or an IP address',
            });
          }
          return network ? formatNetwork(network) : '';
        }),
    )
    .optional(),
  // Rate limits (src/http/rateLimits.ts): counted in Redis when REDIS_URL is set, so every
  // instance shares one count; otherwise in PostgreSQL, or in memory on PGlite (one process).
  REDIS_URL: urlFromEnv(['redis:', 'rediss:']).optional(),
  REDIS_KEY_PREFIX: z.string().min(1).max(100).default('signet:'),
  // 600 a minute per key: far above polling and syncing (reads take ms), while envelope creation
  // at that rate (~100 ms each) keeps a 2-core server about busy; see the README.
  RATE_LIMIT_API_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  RATE_LIMIT_PUBLIC_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1200),
  // Webhook endpoints an organisation registers may be on loopback, private or unique-local
  // networks (a receiver beside Signet); link-local and cloud metadata addresses never.
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: booleanFromEnv.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** A PKCS#11 token (an HSM) holding Signet's private keys. */
export interface Pkcs11Config {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: string;
  /** CK_TOKEN_INFO label of the token (at most 32 bytes). */
  tokenLabel: string;
  /** User PIN. A secret: never logged, never part of an error message. */
  pin: string;
}

/** What Signet's CA writes into the certificates it issues (README "Certificate profiles"). */
export interface CertificateProfileConfig {
  /** PKI_POLICY_OID: the certificatePolicies OID of the issuing CA and of every end-entity certificate. */
  policyOid: string;
  /** PKI_ORGANIZATION: organizationName of the CA, seal, TSA and OCSP certificates, and their CA names. */
  organization: string;
  /** PKI_COUNTRY: countryName (ISO 3166-1 alpha-2) of the same; absent when unset. */
  country?: string | undefined;
}

/** Per-signer certificates (SPEC §C). */
export interface SignerCertificateConfig {
  /** SIGNER_CERT_VALIDITY_DAYS: long enough to outlive the signing, so offline validators accept them. */
  validityDays: number;
  /** SIGNER_CERT_REVOKE_AFTER_USE: revoke (cessationOfOperation) once the signature and its validation data are in the file. */
  revokeAfterUse: boolean;
}

export const DEVELOPMENT_CERTIFICATE_PROFILE: CertificateProfileConfig = {
  policyOid: DEVELOPMENT_CERTIFICATE_POLICY_OID,
  organization: DEVELOPMENT_ORGANIZATION,
};

/** Twilio's Messages API for one-time codes by text message (SMS_PROVIDER=twilio). */
export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  from: string;
  /** https://api.twilio.com, or a compatible endpoint. */
  apiUrl: string;
  timeoutMs: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  /** Development conveniences (a generated master key) are on. */
  devMode: boolean;
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  masterKey: Buffer | undefined;
  maxUploadBytes: number;
  /** The documents of one request together; more is refused with 413 as soon as it is passed. */
  maxRequestBytes: number;
  envelopeExpiryDays: number;
  /** ORGANIZATION_NAME: what the first start names its organisation. */
  firstOrganizationName?: string | undefined;
  signingUrlTtlSeconds: number;
  sealPkcs12: { path: string; password: string } | undefined;
  /**
   * SEAL_KEY_LABEL: seal with this key and the certificate chain imported for it. Unset: the key
   * "signet-sealing" with its imported chain when there is one, else Signet's CA.
   */
  sealKeyLabel: string | undefined;
  /** OFFLINE_CA_PASSPHRASE, for `signet ca` on the offline machine. A secret: never logged. */
  offlineCaPassphrase: string | undefined;
  pkcs11: Pkcs11Config | undefined;
  /** RFC 3161 TSAs in failover order; empty: the built-in TSA, in-process. */
  tsaUrls: string[];
  /** Per request, to a TSA and to OCSP responders / CRL servers. */
  tsaTimeoutMs: number;
  certificateProfile: CertificateProfileConfig;
  signerCertificates: SignerCertificateConfig;
  /** When sealed files get a new archive time-stamp (src/envelopes/archiveRenewal.ts). */
  archiveRenewal: { marginDays: number; retiredAlgorithms: string[] };
  /** SMS_PROVIDER=twilio; undefined keeps text messages in the outbox. */
  twilio: TwilioConfig | undefined;
  /**
   * Proxies whose X-Forwarded-For is believed: none (false), the addresses or CIDRs listed
   * (also `loopback`, `linklocal`, `uniquelocal`), or the number of proxy hops in front.
   */
  trustProxy: false | number | string[];
  /** Redis, when REDIS_URL is set: where rate limits are counted. The URL may hold a password: never logged. */
  redis: { url: string; keyPrefix: string } | undefined;
  /**
   * Requests a minute per API key or staff session on the authenticated API, and per client
   * address on public routes (besides each public route's own, tighter rules).
   */
  rateLimits: { apiPerMinute: number; publicPerMinute: number };
  /** Where requests for a tenant may go besides public addresses (src/outbound/). */
  outbound: { allowPrivateNetworks: boolean; allowedNetworks: string[] };
  /** Where webhook endpoints may be besides public addresses (src/webhooks/). */
  webhooks: { allowPrivateNetworks: boolean };
  logLevel: string;
  /** Worker threads for heavy PDF work, and what one job may cost. */
  pdfWork: {
    threads: number;
    timeoutMs: number;
    memoryMb: number;
    /** Jobs that may wait for a worker before requests are answered 503. */
    queueLimit: number;
    limits: { maxStreamBytes: number; maxInflatedBytes: number; maxObjects: number; maxRevisions: number };
  };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Parses the environment (empty strings count as unset). Throws ConfigError listing every bad value. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    // Never echo the value itself: it may be a secret (MASTER_KEY, SMTP password in SMTP_URL).
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.NODE_ENV === 'production' && !e.MASTER_KEY) {
    problems.push('MASTER_KEY: required in production (32 random bytes in base64)');
  }
  if (e.SEAL_PKCS12_PATH && e.SEAL_PKCS12_PASSWORD === undefined) {
    problems.push('SEAL_PKCS12_PASSWORD: required when SEAL_PKCS12_PATH is set');
  }
  if (e.SEAL_PKCS12_PATH && e.SEAL_KEY_LABEL) {
    problems.push('SEAL_KEY_LABEL: seal with a PKCS#12 file (SEAL_PKCS12_PATH) or a stored key, not both');
  }
  problems.push(...pkcs11Problems(e));
  if (e.SMS_PROVIDER === 'twilio') {
    for (const name of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const) {
      if (!e[name]) problems.push(`${name}: required when SMS_PROVIDER=twilio`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    env: e.NODE_ENV,
    devMode: e.NODE_ENV !== 'production',
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    masterKey: e.MASTER_KEY ? Buffer.from(e.MASTER_KEY, 'base64') : undefined,
    maxUploadBytes: Math.floor(e.MAX_UPLOAD_MB * 1024 * 1024),
    maxRequestBytes: Math.floor(Math.max(e.MAX_REQUEST_MB, e.MAX_UPLOAD_MB) * 1024 * 1024),
    envelopeExpiryDays: e.ENVELOPE_EXPIRY_DAYS,
    firstOrganizationName: e.ORGANIZATION_NAME,
    signingUrlTtlSeconds: e.SIGNING_URL_TTL_SECONDS,
    sealPkcs12: e.SEAL_PKCS12_PATH
      ? { path: e.SEAL_PKCS12_PATH, password: e.SEAL_PKCS12_PASSWORD ?? '' }
      : undefined,
    sealKeyLabel: e.SEAL_KEY_LABEL,
    offlineCaPassphrase: e.OFFLINE_CA_PASSPHRASE,
    pkcs11:
      e.PKCS11_MODULE && e.PKCS11_TOKEN_LABEL && e.PKCS11_PIN !== undefined
        ? { module: e.PKCS11_MODULE, tokenLabel: e.PKCS11_TOKEN_LABEL, pin: e.PKCS11_PIN }
        : undefined,
    tsaUrls: e.TSA_URLS ?? [],
    tsaTimeoutMs: e.TSA_TIMEOUT_MS,
    certificateProfile: {
      policyOid: e.PKI_POLICY_OID,
      organization: e.PKI_ORGANIZATION,
      ...(e.PKI_COUNTRY ? { country: e.PKI_COUNTRY } : {}),
    },
    archiveRenewal: {
      marginDays: e.ARCHIVE_RENEWAL_MARGIN_DAYS,
      retiredAlgorithms: e.ARCHIVE_RETIRED_ALGORITHMS,
    },
    signerCertificates: {
      validityDays: e.SIGNER_CERT_VALIDITY_DAYS,
      revokeAfterUse: e.SIGNER_CERT_REVOKE_AFTER_USE,
    },
    twilio:
      e.SMS_PROVIDER === 'twilio' && e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN && e.TWILIO_FROM
        ? {
            accountSid: e.TWILIO_ACCOUNT_SID,
            authToken: e.TWILIO_AUTH_TOKEN,
            from: e.TWILIO_FROM,
            apiUrl: e.TWILIO_API_URL,
            timeoutMs: 10_000,
          }
        : undefined,
    trustProxy: e.TRUST_PROXY,
    redis: e.REDIS_URL ? { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } : undefined,
    rateLimits: {
      apiPerMinute: e.RATE_LIMIT_API_PER_MINUTE,
      publicPerMinute: e.RATE_LIMIT_PUBLIC_PER_MINUTE,
    },
    outbound: {
      allowPrivateNetworks: e.OUTBOUND_ALLOW_PRIVATE_NETWORKS,
      allowedNetworks: e.OUTBOUND_ALLOWED_NETWORKS ?? [],
    },
    webhooks: { allowPrivateNetworks: e.WEBHOOKS_ALLOW_PRIVATE_NETWORKS },
    logLevel: e.LOG_LEVEL,
    pdfWork: pdfWorkOf(e),
  };
}

const MiB = 1024 * 1024;

const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: `false` (the default), a hop count (`1` behind one load balancer), or the
 * comma-separated addresses/CIDRs of the proxies. `true` — believe any client's
 * X-Forwarded-For — is refused: it lets anyone choose the address rate limits count and the
 * audit trail records.
 */
function parseTrustProxy(value: string, context: z.RefinementCtx): false | number | string[] {
  const trimmed = value.trim().toLowerCase();
  if (['false', '0', 'no', 'off'].includes(trimmed)) return false;
  if (['true', 'yes', 'on'].includes(trimmed)) {
    context.addIssue({
      code: 'custom',
      message:
        "trusting every client is unsafe: give the proxies' addresses or CIDRs (e.g. 10.0.0.0/8), or the number of proxy hops (e.g. 1)",
    });
    return z.NEVER;
  }
  if (/^\d+$/.test(trimmed)) {
    const hops = Number(trimmed);
    if (hops >= 1 && hops <= 10) return hops;
    context.addIssue({ code: 'custom', message: 'a hop count must be between 1 and 10' });
    return z.NEVER;
  }
  const entries = trimmed
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const invalid = entries.filter((entry) => !PROXY_RANGE_NAMES.has(entry) && !isAddressOrCidr(entry));
  if (entries.length === 0 || invalid.length > 0) {
    context.addIssue({
      code: 'custom',
      message: `not an address, CIDR or hop count: ${invalid.join(', ') || '(empty)'}`,
    });
    return z.NEVER;
  }
  return entries;
}

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits >= 0 && bits <= (version === 4 ? 32 : 128);
}

/** One worker per core but one, so a core stays free for answering requests (at least one worker). */
function pdfWorkOf(e: z.infer<typeof envSchema>): Config['pdfWork'] {
  const threads = e.PDF_WORKERS ?? Math.max(1, availableParallelism() - 1);
  return {
    threads,
    timeoutMs: Math.round(e.PDF_WORK_TIMEOUT_SECONDS * 1000),
    memoryMb: e.PDF_WORK_MEMORY_MB,
    queueLimit: threads * 16,
    limits: {
      maxStreamBytes: Math.floor(e.PDF_MAX_STREAM_MB * MiB),
      maxInflatedBytes: Math.floor(e.PDF_MAX_INFLATED_MB * MiB),
      maxObjects: e.PDF_MAX_OBJECTS,
      maxRevisions: e.PDF_MAX_REVISIONS,
    },
  };
}

const PKCS11_VARIABLES = ['PKCS11_MODULE', 'PKCS11_TOKEN_LABEL', 'PKCS11_PIN'] as const;

/** The three PKCS#11 variables come together or not at all: half a token configuration is a mistake. */
function pkcs11Problems(e: z.infer<typeof envSchema>): string[] {
  const missing = PKCS11_VARIABLES.filter((name) => e[name] === undefined);
  if (missing.length === 0 || missing.length === PKCS11_VARIABLES.length) return [];
  const set = PKCS11_VARIABLES.filter((name) => e[name] !== undefined);
  return missing.map(
    (name) => `${name}: required when ${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set`,
  );
}
