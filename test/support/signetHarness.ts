import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { listMigrations, migrate } from '../../src/db/migrate.ts';
import { type RunningSignet, startSignet } from '../../src/main.ts';
import { createOrganization } from '../../src/orgs/organizations.ts';

/**
 * Starts real Signet instances for tests: on PGlite always, and on PostgreSQL too when
 * DATABASE_URL is set (CI sets it). Each instance gets its own data directory and, on
 * PostgreSQL, its own freshly created database, so test files can run in parallel.
 */
export type DatabaseKind = 'pglite' | 'postgres';

export function databaseKinds(): DatabaseKind[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('DATABASE_URL is not set');
  const name = `signet_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/**
 * PGlite spends ~5 s in initdb; a migrated data directory is dumped once into a cache file
 * (keyed by the migrations' content) and every test instance starts from a copy of it.
 */
export async function pgliteTemplate(): Promise<Blob> {
  const key = createHash('sha256')
    .update(
      listMigrations()
        .map((m) => m.name + m.sql)
        .join('\n'),
    )
    .digest('hex')
    .slice(0, 16);
  const dir = join(process.cwd(), 'node_modules', '.cache', 'signet');
  const file = join(dir, `pglite-template-${key}.tar`);
  if (!existsSync(file)) {
    const db = await openDatabase({ kind: 'pglite' });
    await migrate(db);
    const dump = await db.dumpDataDir!();
    await db.close();
    mkdirSync(dir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, Buffer.from(await dump.arrayBuffer()));
    renameSync(temp, file);
  }
  return new Blob([readFileSync(file)]);
}

const STOP_LIMIT_SECONDS = 120;

/** Resolves as `work` does, or rejects naming what never finished. */
export async function withinSeconds<T>(
  seconds: number,
  what: string,
  work: Promise<T> | undefined,
): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${seconds} s for ${what}`)), seconds * 1000);
    timer.unref();
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface TestSignet extends RunningSignet {
  dataDir: string;
  databaseUrl: string | undefined;
  stop(): Promise<void>;
}

export async function startTestSignet(
  kind: DatabaseKind,
  env: Record<string, string> = {},
  /** The host name in PUBLIC_URL; WebAuthn, for one, refuses an IP address as its RP ID. */
  publicHost = '127.0.0.1',
  /** The time signatures are made at (StartOptions.clock), for suites that sign at other times. */
  clock?: () => Date,
): Promise<TestSignet> {
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-test-'));
  // A DATABASE_URL in `env` is another instance's database, shared rather than created (and dropped).
  const postgres = kind === 'postgres' && !env.DATABASE_URL ? await createPostgresDatabase() : undefined;
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://${publicHost}:${port}`,
    DATABASE_URL: postgres?.url,
    LOG_LEVEL: 'silent',
    // Suites poll the API every 100 ms while a seal runs, for as long as a loaded CI machine
    // takes: the per-key limit is not what they test. test/security/rateLimits.test.ts sets its own.
    RATE_LIMIT_API_PER_MINUTE: '100000',
    ...env,
  });
  const signet = await startSignet(config, {
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    pgliteTemplate: kind === 'pglite' ? await pgliteTemplate() : undefined,
    bootstrap: false,
    ...(clock ? { clock } : {}),
  });
  return {
    ...signet,
    dataDir,
    databaseUrl: postgres?.url ?? (kind === 'postgres' ? env.DATABASE_URL : undefined),
    async stop() {
      // A stop that never ends would hold the whole run until CI's limit: fail loudly instead.
      await withinSeconds(STOP_LIMIT_SECONDS, 'Signet to stop', signet.close());
      await withinSeconds(STOP_LIMIT_SECONDS, 'the test database to be dropped', postgres?.drop());
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function createTestOrganization(signet: RunningSignet, name = 'Acme Ltd') {
  const created = await createOrganization(signet.platform.db, {
    name,
    adminEmail: `owner-${randomBytes(3).toString('hex')}@acme.test`,
    adminName: 'Olive Owner',
  });
  return { organizationId: created.organizationId, apiKey: created.apiKey, adminEmail: created.adminEmail };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
