import PgBoss from 'pg-boss';
import type { Database, Sql } from '../db/database.ts';

/**
 * Durable background jobs in PostgreSQL through pg-boss (SPEC §J): mail, sealing, webhooks.
 * On PGlite pg-boss runs through its `db` adapter over the same embedded database, so both
 * modes share one queue implementation. Jobs are enqueued inside the transaction that causes
 * them (pg-boss `send` with a transaction-bound `db`), so a rolled-back change never leaves a
 * job behind and a committed one never loses its job.
 */
export type JobName =
  | 'mail.send'
  | 'sms.send'
  | 'envelope.seal'
  | 'envelope.sign'
  | 'archive.renew'
  | 'envelope.expire'
  | 'envelope.remind'
  | 'maintenance.sweep'
  | 'outbox.sweep'
  | 'webhook.deliver'
  | 'webhook.sweep'
  | 'account.password-reset';

/** Retries after the first attempt, unless a job says otherwise. */
export const DEFAULT_RETRY_LIMIT = 8;

export interface JobOptions {
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** Not before this many seconds after the enqueuing transaction's `now()` (webhook retries). */
  startAfterSeconds?: number;
}

export interface JobQueue {
  enqueue(tx: Sql, name: JobName, data: Record<string, unknown>, options?: JobOptions): Promise<void>;
  /** Runs `handler` for each job; up to `concurrency` jobs of this queue at once in this process. */
  work(
    name: JobName,
    handler: (data: Record<string, unknown>) => Promise<void>,
    options?: { concurrency?: number },
  ): Promise<void>;
  /** Runs the job on a cron schedule (UTC); one instance of the cluster picks up each tick. */
  schedule(name: JobName, cron: string): Promise<void>;
  stop(): Promise<void>;
}

const QUEUES: JobName[] = [
  'mail.send',
  'sms.send',
  'envelope.seal',
  'envelope.sign',
  'archive.renew',
  'envelope.expire',
  'envelope.remind',
  'maintenance.sweep',
  'outbox.sweep',
  'webhook.deliver',
  'webhook.sweep',
  'account.password-reset',
];

function executorFor(sql: Sql) {
  return {
    async executeSql(text: string, values?: unknown[]) {
      // pg-boss sends parameterless multi-statement scripts for its own schema set-up, which
      // PGlite accepts only through `exec` (its `query` is one prepared statement).
      if (!values || values.length === 0) return { rows: await sql.exec(text) };
      return { rows: await sql.query(text, values) };
    },
  };
}

export async function startJobQueue(
  db: Database,
  databaseUrl: string | undefined,
  onError: (error: Error) => void,
): Promise<JobQueue> {
  const boss = databaseUrl
    ? new PgBoss({ connectionString: databaseUrl, schema: 'pgboss', max: 4 })
    : new PgBoss({ db: executorFor(db), schema: 'pgboss' });
  boss.on('error', onError);
  await boss.start();
  for (const name of QUEUES) {
    if (!(await boss.getQueue(name))) await boss.createQueue(name);
  }
  const workerIds = new Map<JobName, string[]>();
  // pg-boss polls every 0.5 s at best and sleeps out the interval after each batch; waking the
  // workers when the enqueuing transaction commits takes job latency from ~1 s to milliseconds.
  const wake = (name: JobName) => {
    for (const id of workerIds.get(name) ?? []) boss.notifyWorker(id);
  };
  return {
    async enqueue(tx, name, data, options = {}) {
      await boss.send(name, data, {
        retryLimit: options.retryLimit ?? DEFAULT_RETRY_LIMIT,
        retryDelay: options.retryDelaySeconds ?? 5,
        retryBackoff: true,
        ...(options.startAfterSeconds ? { startAfter: Math.ceil(options.startAfterSeconds) } : {}),
        db: executorFor(tx),
      });
      if (!options.startAfterSeconds) tx.afterCommit(() => wake(name));
    },
    async work(name, handler, options = {}) {
      const batchSize = options.concurrency ?? 1;
      let id = '';
      id = await boss.work(name, { pollingIntervalSeconds: 0.5, batchSize }, async (jobs) => {
        // Each job succeeds or fails on its own: a failed one is marked for retry here, and
        // pg-boss then completes only the jobs still active.
        await Promise.all(
          jobs.map((job) =>
            handler(job.data as Record<string, unknown>).catch((error: Error) =>
              boss.fail(name, job.id, { message: error.message }),
            ),
          ),
        );
        // pg-boss sleeps out the polling interval after a batch; a full batch says more may be
        // waiting (a backlog of webhook deliveries), so the worker fetches again at once.
        if (jobs.length === batchSize && id) boss.notifyWorker(id);
      });
      workerIds.set(name, [...(workerIds.get(name) ?? []), id]);
    },
    async schedule(name, cron) {
      await boss.schedule(name, cron, {}, { tz: 'UTC' });
    },
    async stop() {
      // Graceful: lets running handlers finish (SPEC §L), then stops polling.
      await boss.stop({ graceful: true, wait: true, timeout: 20_000 });
    },
  };
}
