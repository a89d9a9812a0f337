import type { FastifyBaseLogger } from 'fastify';
import type { BlobStore } from './blobs/blobStore.ts';
import type { Config } from './config/config.ts';
import type { Database } from './db/database.ts';
import type { JobQueue } from './jobs/queue.ts';
import type { MailTransport } from './notify/mailer.ts';
import type { SealingIdentity } from './pki/signer.ts';

/** Everything the services need, assembled once by the composition root (main.ts). */
export interface Platform {
  config: Config;
  db: Database;
  blobs: BlobStore;
  queue: JobQueue;
  mail: MailTransport;
  pki: { rootPem: string; sealing: SealingIdentity };
  log: FastifyBaseLogger;
}
