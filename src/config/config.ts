import { z } from 'zod';

/**
 * One typed configuration object, parsed once from the environment at start.
 * Every bad value is reported with its variable name; the process refuses to start.
 */
const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

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
  HOST: z.string().min(1).default('0.0.0.0'),
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
  ENVELOPE_EXPIRY_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  SIGNING_URL_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(300),
  SEAL_PKCS12_PATH: z.string().min(1).optional(),
  SEAL_PKCS12_PASSWORD: z.string().optional(),
  TRUST_PROXY: booleanFromEnv.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  /** Development conveniences (dev outbox route, generated master key) are on. */
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
  envelopeExpiryDays: number;
  signingUrlTtlSeconds: number;
  sealPkcs12: { path: string; password: string } | undefined;
  trustProxy: boolean;
  logLevel: string;
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
    envelopeExpiryDays: e.ENVELOPE_EXPIRY_DAYS,
    signingUrlTtlSeconds: e.SIGNING_URL_TTL_SECONDS,
    sealPkcs12: e.SEAL_PKCS12_PATH
      ? { path: e.SEAL_PKCS12_PATH, password: e.SEAL_PKCS12_PASSWORD ?? '' }
      : undefined,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
  };
}
