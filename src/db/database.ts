import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** A place SQL can run: the database itself or an open transaction. */
export interface Sql {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements (migrations); no parameters. Returns the last statement's rows. */
  exec(script: string): Promise<Record<string, unknown>[]>;
  /**
   * Runs `callback` once the work done here is visible to others: after the transaction
   * commits (never, if it rolls back), or at once outside a transaction.
   */
  afterCommit(callback: () => void): void;
  /**
   * The database this runs on: the same object for the database and each of its transactions,
   * so a module can keep what belongs to one database (evidence/auditLog.ts: its subscribers).
   */
  readonly database: Database;
}

export interface Database extends Sql {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /** PGlite only: the whole data directory as a tarball (test templates, later backups). */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

const runNow = (callback: () => void) => callback();
const runAll = (callbacks: (() => void)[]) => {
  for (const callback of callbacks) callback();
};

export type DatabaseTarget =
  | { kind: 'postgres'; url: string }
  | { kind: 'pglite'; dataDir?: string; template?: Blob };

/** Opens PostgreSQL when a URL is given, otherwise PGlite stored in `<dataDir>/pglite` (or in memory). */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return target.kind === 'postgres' ? openPostgres(target.url) : openPglite(target.dataDir, target.template);
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => undefined);
  const runOn = (client: pg.Pool | pg.PoolClient, afterCommit: Sql['afterCommit'] = runNow): Sql => ({
    afterCommit,
    get database() {
      return database;
    },
    async query<Row>(text: string, params: unknown[] = []) {
      const result = await client.query(text, params);
      return result.rows as Row[];
    },
    async exec(script: string) {
      // pg answers a multi-statement script with one result per statement.
      const result = (await client.query(script)) as unknown as pg.QueryResult | pg.QueryResult[];
      const last = Array.isArray(result) ? result.at(-1) : result;
      return (last?.rows ?? []) as Record<string, unknown>[];
    },
  });
  await pool.query('select 1');
  const direct = runOn(pool);
  const database: Database = {
    kind: 'postgres',
    query: direct.query,
    exec: direct.exec,
    afterCommit: direct.afterCommit,
    get database() {
      return database;
    },
    async transaction(work) {
      const client = await pool.connect();
      const callbacks: (() => void)[] = [];
      try {
        await client.query('begin');
        const value = await work(runOn(client, (callback) => callbacks.push(callback)));
        await client.query('commit');
        runAll(callbacks);
        return value;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
  return database;
}

export class DataDirectoryBusyError extends Error {
  constructor(dir: string) {
    super(
      `The embedded database in ${dir} is in use by another Signet process (is \`npm start\` running?). ` +
        'Stop it first, or point DATABASE_URL at PostgreSQL to share one database between processes.',
    );
    this.name = 'DataDirectoryBusyError';
  }
}

async function openPglite(dataDir: string | undefined, template: Blob | undefined): Promise<Database> {
  let dbDir: string | undefined;
  if (dataDir) {
    dbDir = resolve(join(dataDir, 'pglite'));
    mkdirSync(dbDir, { recursive: true });
  }
  const releaseLock = dbDir ? lockDataDirectory(dbDir) : () => undefined;
  let db: PGlite;
  try {
    db = new PGlite({ dataDir: dbDir, loadDataDir: template });
    await db.waitReady;
  } catch (error) {
    releaseLock();
    throw error;
  }
  const runOn = (client: Pick<PGlite, 'query' | 'exec'>, afterCommit: Sql['afterCommit'] = runNow): Sql => ({
    afterCommit,
    get database() {
      return database;
    },
    async query<Row>(text: string, params: unknown[] = []) {
      const result = await client.query<Row>(text, params);
      return result.rows;
    },
    async exec(script: string) {
      const results = await client.exec(script);
      return (results.at(-1)?.rows ?? []) as Record<string, unknown>[];
    },
  });
  const direct = runOn(db);
  const database: Database = {
    kind: 'pglite',
    query: direct.query,
    exec: direct.exec,
    afterCommit: direct.afterCommit,
    get database() {
      return database;
    },
    async transaction(work) {
      const callbacks: (() => void)[] = [];
      const value = await db.transaction((tx) => work(runOn(tx, (callback) => callbacks.push(callback))));
      runAll(callbacks);
      return value;
    },
    dumpDataDir: () => db.dumpDataDir('none') as Promise<Blob>,
    async close() {
      await db.close();
      releaseLock();
    },
  };
  return database;
}

/**
 * PGlite is a single-process database and does not itself stop a second process from opening
 * the same directory (measured: both opens succeed, which would corrupt it). So we hold a pid
 * lock file beside it; a lock left by a dead process is taken over.
 */
function lockDataDirectory(dbDir: string): () => void {
  const lockFile = `${dbDir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new DataDirectoryBusyError(dbDir);
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new DataDirectoryBusyError(dbDir);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
