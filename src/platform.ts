import type { FastifyBaseLogger } from 'fastify';
import type { BlobStore } from './blobs/blobStore.ts';
import type { SealedSecrets } from './blobs/sealedSecrets.ts';
import type { Config } from './config/config.ts';
import type { Database } from './db/database.ts';
import type { RateLimitStore } from './http/rateLimitStores.ts';
import type { JobQueue } from './jobs/queue.ts';
import type { MailTransport } from './notify/mailer.ts';
import type { SmsTransport } from './notify/smsTransport.ts';
import type { OutboundClient } from './outbound/outboundHttp.ts';
import type { PlatformPki } from './pki/services.ts';
import type { PdfWork } from './workers/pdfWorkPool.ts';

/** Everything the services need, assembled once by the composition root (main.ts). */
export interface Platform {
  config: Config;
  db: Database;
  blobs: BlobStore;
  secrets: SealedSecrets;
  queue: JobQueue;
  mail: MailTransport;
  sms: SmsTransport;
  pki: PlatformPki;
  /** Heavy PDF work on worker threads, within the PDF limits. */
  pdfWork: PdfWork;
  /** Every request to another server goes through it (src/outbound/). */
  outbound: OutboundClient;
  /** Where rate limits are counted: Redis, the database or memory (http/rateLimitStores.ts). */
  rateLimits: RateLimitStore;
  /**
   * Webhook deliveries' own client (src/webhooks/): public addresses only unless
   * WEBHOOKS_ALLOW_PRIVATE_NETWORKS, link-local and metadata addresses never.
   */
  webhookOutbound: OutboundClient;
  log: FastifyBaseLogger;
  /** The time signatures are made at: the system clock, except where a test moves it. */
  clock: () => Date;
}
