import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createPostgresDatabase, databaseKinds, freePort } from '../support/signetHarness.ts';

/*
 * Security issue: the first start printed the default organisation's admin password and API key
 * to stdout, where process managers and container platforms keep them in their logs. They go
 * to DATA_DIR/first-start-credentials.txt instead (mode 0600, created atomically, never
 * overwritten); the console says only where that file is.
 */

/*
 * The CLI's sources with tsx as a loader every thread inherits (the PDF worker threads too), the
 * way the test runner itself runs; bin/signet.mjs would need a current dist/ for that.
 */
const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

interface Serving {
  process: ChildProcess;
  output: () => string;
  url: string;
}

/** `signet serve` as an operator runs it, until it says it is listening. */
async function serve(env: Record<string, string>): Promise<Serving> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const deadline = Date.now() + 120_000;
  while (!output.includes('Signet is listening')) {
    if (child.exitCode !== null) throw new Error(`signet serve exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`signet serve did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { process: child, output: () => output, url: `http://127.0.0.1:${port}` };
}

async function stop(serving: Serving | undefined) {
  const child = serving?.process;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

for (const kind of databaseKinds()) {
  describe(`the first start's credentials, on ${kind}`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'signet-first-start-'));
    const file = join(dataDir, 'first-start-credentials.txt');
    let postgres: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;
    let running: Serving | undefined;

    const environment = () => ({
      DATA_DIR: dataDir,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      ...(postgres ? { DATABASE_URL: postgres.url } : {}),
    });

    after(async () => {
      await stop(running);
      await postgres?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('writes the admin login and API key to a 0600 file, and only says where it is', async () => {
      if (kind === 'postgres') postgres = await createPostgresDatabase();
      running = await serve(environment());
      assert.ok(existsSync(file), running.output());
      assert.equal(statSync(file).mode & 0o777, 0o600, 'readable and writable by its owner only');
      const content = readFileSync(file, 'utf8');
      const password = /admin password\s*:\s*(\S+)/.exec(content)?.[1] ?? '';
      const apiKey = /API key\s*:\s*(sgk_\S+)/.exec(content)?.[1] ?? '';
      assert.match(content, /admin login\s*:\s*admin@signet\.localhost/);
      assert.ok(password.length >= 12 && apiKey, content);

      const output = running.output();
      assert.ok(output.includes(file), 'the console names the file');
      assert.match(output, /delete/);
      assert.ok(!output.includes(password), 'the password is not on the console');
      assert.ok(!output.includes(apiKey), 'the API key is not on the console');

      // The file holds the real secrets.
      const envelopes = await fetch(`${running.url}/api/v1/envelopes`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      assert.equal(envelopes.status, 200);
      const signIn = await fetch(`${running.url}/api/v1/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@signet.localhost', password }),
      });
      assert.equal(signIn.status, 200);
      await stop(running);
    });

    it('writes nothing at a later start', async () => {
      rmSync(file);
      running = await serve(environment());
      assert.ok(!existsSync(file), 'the organisation exists: nothing new to tell');
      assert.doesNotMatch(running.output(), /first-start-credentials/);
      await stop(running);
    });
  });
}

describe('a first start that finds a credentials file already there', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-first-start-kept-'));
  const file = join(dataDir, 'first-start-credentials.txt');
  let running: Serving | undefined;
  after(async () => {
    await stop(running);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('never overwrites it, creates no organisation whose secrets would go nowhere, and says why', async () => {
    writeFileSync(file, 'secrets of an earlier installation\n', { mode: 0o600 });
    running = await serve({ DATA_DIR: dataDir, NODE_ENV: 'test', LOG_LEVEL: 'info' });
    assert.equal(readFileSync(file, 'utf8'), 'secrets of an earlier installation\n');
    assert.match(running.output(), /already exists/);
    assert.doesNotMatch(running.output(), /admin password|sgk_/);
  });
});
