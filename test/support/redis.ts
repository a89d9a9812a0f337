import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { eventually, freePort } from './signetHarness.ts';

/*
 * Redis for tests (TESTING.md: one runs at 127.0.0.1:6379, keeping nothing on disk; .ci/run
 * starts it when it is not running). Suites share it: each uses keys under a prefix of its own
 * and deletes only those. A suite that must stop Redis starts a private redis-server instead.
 */

export const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const INSTALL_HINT =
  'apt-get install -y redis-server && redis-server --daemonize yes --save "" --appendonly no';

/**
 * Why the shared Redis cannot be used, or undefined when it can. In CI (CI=true) an unreachable
 * Redis is an error rather than a reason to skip: every peer is installed there.
 */
export async function sharedRedisProblem(): Promise<string | undefined> {
  const client = new Redis(SHARED_REDIS_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    const problem = `Redis is not reachable at ${SHARED_REDIS_URL} (${(error as Error).message}): ${INSTALL_HINT}`;
    if (process.env.CI) throw new Error(problem);
    return problem;
  } finally {
    client.disconnect();
  }
}

/** A key prefix no other test uses. */
export const uniqueRedisPrefix = (what: string) => `signet-test:${what}:${randomBytes(6).toString('hex')}:`;

/** Deletes the keys under `prefix` in the shared Redis, and nothing else. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const client = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** Why a private redis-server cannot be started here, or undefined. Same CI rule as above. */
export function redisServerProblem(): string | undefined {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (found.status === 0) return undefined;
  const problem = `redis-server is not installed: ${INSTALL_HINT}`;
  if (process.env.CI) throw new Error(problem);
  return problem;
}

/** A redis-server of the test's own on a free loopback port, that the test may stop and start again. */
export interface PrivateRedis {
  url: string;
  /** Stops the server (SIGKILL: no goodbye to the clients, as a crash or a network cut). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  client(): Redis;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  const ping = async () => {
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG' ? true : undefined;
    } catch {
      return undefined;
    } finally {
      probe.disconnect();
    }
  };
  const running: PrivateRedis = {
    url,
    async start() {
      server = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      await eventually(ping, `redis-server on port ${port}`, 10_000);
    },
    async stop() {
      if (!server || server.exitCode !== null) return;
      const exited = once(server, 'exit');
      server.kill('SIGKILL');
      await exited;
    },
    client: () => new Redis(url, { maxRetriesPerRequest: 1 }),
  };
  await running.start();
  return running;
}
