import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { FileBlobStore, loadOrCreateMasterKey } from './blobs/blobStore.ts';
import type { MasterKey } from './blobs/envelopeEncryption.ts';
import { sealedSecrets } from './blobs/sealedSecrets.ts';
import type { Config } from './config/config.ts';
import { type Database, openDatabase } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { renewDueArchives } from './envelopes/archiveRenewal.ts';
import { expireOverdueEnvelopes } from './envelopes/expiry.ts';
import { sendDueReminders } from './envelopes/reminders.ts';
import { recoverStalledSeals, sealEnvelope } from './envelopes/sealing.ts';
import { applyPendingSignerSignatures } from './envelopes/signerRevisions.ts';
import { sweepIdempotencyKeys } from './http/idempotencyKeys.ts';
import { openRateLimitStore, type RateLimitStore, sweepRateLimitCounters } from './http/rateLimitStores.ts';
import { buildHttpApp, loggerOptions } from './http/server.ts';
import { startJobQueue } from './jobs/queue.ts';
import { accountMailer } from './notify/accountMail.ts';
import { createMailTransport } from './notify/mailer.ts';
import { deliverMail, eraseExpiredMailBodies } from './notify/outbox.ts';
import { deliverSms, eraseExpiredSmsBodies } from './notify/sms.ts';
import { createSmsTransport } from './notify/smsTransport.ts';
import { sendPasswordResets } from './orgs/accounts.ts';
import { bootstrapFirstOrganization } from './orgs/firstStart.ts';
import { createOutboundClient, type OutboundClient } from './outbound/outboundHttp.ts';
import { openConfiguredKeyStore } from './pki/configuredKeyStore.ts';
import { loadOrCreateDevPki } from './pki/devCa.ts';
import { loadSealingOverride } from './pki/sealingIdentity.ts';
import { createPlatformPki, type PlatformPki } from './pki/services.ts';
import type { Platform } from './platform.ts';
import { startWebhooks } from './webhooks/start.ts';
import { createPdfWorkPool, type PdfWork } from './workers/pdfWorkPool.ts';

/**
 * Composition root: configuration → database → blobs → keys → queue → services → HTTP.
 * Nothing else lives here.
 */
export interface RunningSignet {
  app: FastifyInstance;
  platform: Platform;
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Logger to use (tests pass a silent one). */
  logger?: Logger;
  /** A PGlite data-directory dump to start from instead of initdb (tests only: saves ~5 s). */
  pgliteTemplate?: Blob;
  /**
   * Whether to create the default organisation on an empty database, its credentials written to
   * DATA_DIR/first-start-credentials.txt (default true).
   */
  bootstrap?: boolean;
  /**
   * Whether to accept connections (default true). Without, the app is ready for `app.inject()`
   * and `app.swagger()` and `url` is PUBLIC_URL: `npm run sdk:generate` reads the OpenAPI
   * document so, taking no port.
   */
  listen?: boolean;
  /**
   * The time signatures are made at (per-signer signatures, the seal's claimed time). Tests move
   * it to sign an hour apart; everything else keeps the system clock.
   */
  clock?: () => Date;
}

export function openConfiguredDatabase(config: Config, template?: Blob): Promise<Database> {
  return config.databaseUrl
    ? openDatabase({ kind: 'postgres', url: config.databaseUrl })
    : openDatabase({ kind: 'pglite', dataDir: config.dataDir, template });
}

/** How often each instance looks for seals whose process died (their 30 s lease ran out). */
const STALLED_SEAL_CHECK_MS = 15_000;

/** A TSA that fails once may answer the second time; more attempts only delay the failover. */
const TSA_ATTEMPTS_PER_URL = 2;

/**
 * Keys (PKCS#11 token, or files in DATA_DIR/keys encrypted under the master key), Signet's CA
 * (DATA_DIR/pki) and its services. With SEAL_PKCS12_PATH, or a key carrying an imported chain,
 * the seal is made with the operator's certificate (pki/sealingIdentity.ts); TSA, OCSP and
 * per-signer certificates still come from Signet's CA.
 */
export async function loadSealingKeys(
  config: Config,
  db: Database,
  masterKey: MasterKey,
  outbound: OutboundClient,
): Promise<PlatformPki> {
  const keyStore = await openConfiguredKeyStore(config, masterKey);
  try {
    const sealingOverride = await loadSealingOverride(config, keyStore);
    const dev = await loadOrCreateDevPki(join(config.dataDir, 'pki'), {
      keyStore,
      publicUrl: config.publicUrl,
      profile: config.certificateProfile,
    });
    return await createPlatformPki({
      db,
      dev,
      keyStore,
      sealingOverride,
      tsa: { urls: config.tsaUrls, timeoutMs: config.tsaTimeoutMs, attemptsPerUrl: TSA_ATTEMPTS_PER_URL },
      revocationTimeoutMs: config.tsaTimeoutMs,
      signerCertificates: config.signerCertificates,
      outbound,
    });
  } catch (error) {
    // A token session left open would keep the process from exiting.
    await keyStore.close();
    throw error;
  }
}

/** The root relying parties must trust for seals, without touching the database (`signet ca-root`). */
export async function loadSealingRootPem(config: Config): Promise<string> {
  const keyStore = await openConfiguredKeyStore(config);
  try {
    const override = await loadSealingOverride(config, keyStore);
    if (override) return override.rootPem;
    const options = { keyStore, publicUrl: config.publicUrl, profile: config.certificateProfile };
    return (await loadOrCreateDevPki(join(config.dataDir, 'pki'), options)).rootPem;
  } finally {
    await keyStore.close();
  }
}

export async function startSignet(config: Config, options: StartOptions = {}): Promise<RunningSignet> {
  const log = options.logger ?? pino(loggerOptions(config.logLevel));
  const db = await openConfiguredDatabase(config, options.pgliteTemplate);
  let pdfWork: PdfWork | undefined;
  let stalledSeals: NodeJS.Timeout | undefined;
  let rateLimits: RateLimitStore | undefined;
  const outbound = createOutboundClient(config.outbound);
  // Webhook endpoints: their own switch for private networks; link-local (metadata) never.
  const webhookOutbound = createOutboundClient({
    allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
    refuseLinkLocal: true,
  });
  try {
    const applied = await migrate(db);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
    const masterKey = loadOrCreateMasterKey(config.dataDir, config.masterKey);
    const blobs = new FileBlobStore(join(config.dataDir, 'blobs'), masterKey);
    const pki = await loadSealingKeys(config, db, masterKey, outbound);
    const queue = await startJobQueue(db, config.databaseUrl, (error) =>
      log.error({ err: error }, 'job queue error'),
    );
    pdfWork = createPdfWorkPool(config.pdfWork);
    rateLimits = await openRateLimitStore(config, db, log);
    const platform: Platform = {
      config,
      db,
      blobs,
      secrets: sealedSecrets(masterKey),
      queue,
      mail: createMailTransport(config.smtpUrl),
      sms: createSmsTransport(config.twilio, outbound),
      pki,
      pdfWork,
      outbound,
      rateLimits,
      webhookOutbound,
      log,
      clock: options.clock ?? (() => new Date()),
    };
    // Mail is I/O-bound; sealing is CPU-bound, so no more seals at once than a small machine has cores.
    await queue.work('mail.send', (data) => deliverMail(platform, String(data.mailId)), { concurrency: 8 });
    await queue.work('sms.send', (data) => deliverSms(platform, String(data.smsId)), { concurrency: 4 });
    // Reset links are looked up and mailed here, not in the request, which so answers alike
    // whether or not the address has an account (src/orgs/accounts.ts).
    await queue.work('account.password-reset', async (data) => {
      await sendPasswordResets(platform, accountMailer(platform), {
        email: String(data.email),
        organizationId: typeof data.organizationId === 'string' ? data.organizationId : undefined,
      });
    });
    await queue.work('envelope.seal', (data) => sealEnvelope(platform, String(data.envelopeId)), {
      concurrency: 2,
    });
    // Per-signer signatures, made as each signer finishes (src/envelopes/signerRevisions.ts).
    await queue.work(
      'envelope.sign',
      async (data) => {
        await applyPendingSignerSignatures(platform, String(data.envelopeId));
      },
      { concurrency: 2 },
    );
    // New archive time-stamps before the newest one's certificates expire (issue #13).
    await queue.work('archive.renew', async () => {
      await renewDueArchives(platform);
    });
    await queue.schedule('archive.renew', '23 2 * * *');
    await queue.work('envelope.expire', async () => {
      await expireOverdueEnvelopes(platform);
    });
    await queue.schedule('envelope.expire', '*/5 * * * *');
    await queue.work('envelope.remind', async () => {
      await sendDueReminders(platform);
    });
    await queue.schedule('envelope.remind', '*/5 * * * *');
    await queue.work('maintenance.sweep', async () => {
      await sweepRateLimitCounters(db);
      await sweepIdempotencyKeys(db);
    });
    await queue.schedule('maintenance.sweep', '17 * * * *');
    // A one-time code works for 10 minutes; the message that carried it keeps its body (sealed,
    // in the local outbox) at most a minute longer.
    await queue.work('outbox.sweep', async () => {
      await eraseExpiredMailBodies(db);
      await eraseExpiredSmsBodies(db);
    });
    await queue.schedule('outbox.sweep', '* * * * *');
    const stopWebhookMessages = await startWebhooks(platform);

    // Every instance looks for seals whose process died; the lease makes that safe (sealing.ts).
    stalledSeals = setInterval(() => {
      recoverStalledSeals(platform).then(
        (ids) => ids.length > 0 && log.warn({ envelopes: ids }, 'stalled seals queued again'),
        (error: Error) => log.error({ err: error }, 'stalled-seal check failed'),
      );
    }, STALLED_SEAL_CHECK_MS);
    stalledSeals.unref();
    const app = await buildHttpApp(platform, log);
    if (options.bootstrap !== false)
      await bootstrapFirstOrganization(db, config.dataDir, process.stdout, config.firstOrganizationName);
    let url = config.publicUrl;
    if (options.listen === false) await app.ready();
    else {
      const address = await app.listen({ port: config.port, host: config.host });
      url = address.replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost');
      log.info(
        { url, database: db.kind, mail: platform.mail.kind, rateLimits: platform.rateLimits.kind },
        'Signet is listening',
      );
    }

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        clearInterval(stalledSeals);
        await app.close(); // stops accepting requests, finishes in-flight ones
        await queue.stop(); // lets running jobs finish
        stopWebhookMessages();
        await platform.pdfWork.close();
        platform.mail.close();
        await pki.keyStore.close();
        await outbound.close();
        await platform.rateLimits.close();
        await webhookOutbound.close();
        await db.close();
      })();
      return closing;
    };
    return { app, platform, url, close };
  } catch (error) {
    clearInterval(stalledSeals);
    await pdfWork?.close().catch(() => undefined);
    await outbound.close().catch(() => undefined);
    await rateLimits?.close().catch(() => undefined);
    await webhookOutbound.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw error;
  }
}
