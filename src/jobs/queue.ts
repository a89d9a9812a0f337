import PgBoss from 'pg-boss';
import type { Database, Sql } from '../db/database.ts';

/**
 * Durable background jobs in PostgreSQL through pg-boss (SPEC §J): mail and sealing.
 * On PGlite pg-boss runs through its `db` adapter over the same embedded database, so both
 * modes share one queue implementation. Jobs are enqueued inside the transaction that causes
 * them (pg-boss `send` with a transaction-bound `db`), so a rolled-back change never leaves a
 * job behind and a committed one never loses its job.
 */
export type JobName = 'mail.send' | 'envelope.seal';

export interface JobOptions {
  retryLimit?: number;
  retryDelaySeconds?: number;
}

export interface JobQueue {
  enqueue(tx: Sql, name: JobName, data: Record<string, unknown>, options?: JobOptions): Promise<void>;
  work(name: JobName, handler: (data: Record<string, unknown>) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

const QUEUES: JobName[] = ['mail.send', 'envelope.seal'];

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
  return {
    async enqueue(tx, name, data, options = {}) {
      await boss.send(name, data, {
        retryLimit: options.retryLimit ?? 8,
        retryDelay: options.retryDelaySeconds ?? 5,
        retryBackoff: true,
        db: executorFor(tx),
      });
    },
    async work(name, handler) {
      await boss.work(name, { pollingIntervalSeconds: 0.5, batchSize: 1 }, async (jobs) => {
        for (const job of jobs) await handler(job.data as Record<string, unknown>);
      });
    },
    async stop() {
      // Graceful: lets running handlers finish (SPEC §L), then stops polling.
      await boss.stop({ graceful: true, wait: true, timeout: 20_000 });
    },
  };
}
