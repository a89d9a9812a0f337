import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { apiClient, envelopeJson } from '../../test/support/apiClient.ts';
import { sealWithDevPki } from '../../test/support/devPkiSeals.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import { createPostgresDatabase, databaseKinds } from '../../test/support/signetHarness.ts';
import { loadOrCreateMasterKey } from '../blobs/blobStore.ts';
import { loadConfig } from '../config/config.ts';
import { openConfiguredDatabase, startSignet } from '../main.ts';
import { embeddedSignatures } from '../pdf/incremental/dss.ts';
import { openConfiguredKeyStore } from '../pki/configuredKeyStore.ts';
import { loadOrCreateDevPki } from '../pki/devCa.ts';

/** The `signet` command as an operator runs it: a real process, real data directory or database. */
const bin = join(import.meta.dirname, '..', '..', 'bin', 'signet.mjs');

for (const kind of databaseKinds()) {
  describe(`the signet CLI on ${kind}`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'signet-cli-'));
    let env: Record<string, string>;
    let dropDatabase: (() => Promise<void>) | undefined;

    before(async () => {
      env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' };
      if (kind === 'postgres') {
        const database = await createPostgresDatabase();
        env.DATABASE_URL = database.url;
        dropDatabase = database.drop;
      }
    });
    after(async () => {
      await dropDatabase?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const signet = (...args: string[]) => {
      const result = spawnSync(process.execPath, [bin, ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        encoding: 'utf8',
        cwd: dataDir,
        timeout: 120_000,
      });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    };

    let organizationId: string;

    it('creates an organisation and prints its id and first API key as JSON', () => {
      const result = signet('create-org', '--name', 'Acme Ltd', '--admin-email', 'boss@acme.test');
      assert.equal(result.code, 0, result.stderr);
      const created = JSON.parse(result.stdout) as { organizationId: string; apiKey: string };
      assert.match(created.organizationId, /^[0-9a-f-]{36}$/);
      assert.match(created.apiKey, /^sgk_/);
      organizationId = created.organizationId;
    });

    it('creates a scoped API key for an existing organisation only', () => {
      const created = signet('create-api-key', '--org', organizationId, '--scopes', 'envelopes:read');
      assert.equal(created.code, 0, created.stderr);
      const key = JSON.parse(created.stdout) as { apiKey: string; scopes: string[] };
      assert.match(key.apiKey, /^sgk_/);
      assert.deepEqual(key.scopes, ['envelopes:read']);

      const missing = signet('create-api-key', '--org', '00000000-0000-4000-8000-000000000000');
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /ORG_NOT_FOUND/);
      const badScope = signet('create-api-key', '--org', organizationId, '--scopes', 'everything');
      assert.equal(badScope.code, 1);
      assert.match(badScope.stderr, /Unknown scope/);
    });

    let createdUser: { userId: string; email: string; role: string; password: string };

    it('creates a user with a one-time password, printed once with a warning to change it', () => {
      const result = signet(
        'create-user',
        '--org',
        organizationId,
        '--email',
        'Sid@Acme.test',
        '--role',
        'sender',
        '--name',
        'Sid Sender',
      );
      assert.equal(result.code, 0, result.stderr);
      createdUser = JSON.parse(result.stdout);
      assert.match(createdUser.userId, /^[0-9a-f-]{36}$/);
      assert.deepEqual([createdUser.email, createdUser.role], ['sid@acme.test', 'sender']);
      assert.ok(createdUser.password.length >= 20, 'a long random password');
      assert.match(result.stderr, /warning: .*change it/);

      const again = signet(
        'create-user',
        '--org',
        organizationId,
        '--email',
        'sid@acme.test',
        '--role',
        'viewer',
      );
      assert.equal(again.code, 1);
      assert.match(again.stderr, /USER_EXISTS/);
      const badRole = signet(
        'create-user',
        '--org',
        organizationId,
        '--email',
        'x@acme.test',
        '--role',
        'root',
      );
      assert.equal(badRole.code, 1);
      assert.match(badRole.stderr, /ROLE_UNKNOWN.*owner, admin, sender, viewer/);
      const noOrg = signet(
        'create-user',
        '--org',
        '00000000-0000-4000-8000-000000000000',
        '--email',
        'x@acme.test',
        '--role',
        'viewer',
      );
      assert.match(noOrg.stderr, /ORG_NOT_FOUND/);
      const noEmail = signet('create-user', '--org', organizationId, '--role', 'viewer');
      assert.match(noEmail.stderr, /--email is required/);
      const notAnEmail = signet('create-user', '--org', organizationId, '--email', 'sid', '--role', 'viewer');
      assert.match(notAnEmail.stderr, /EMAIL_INVALID/);
    });

    it('says what is missing or wrong in its arguments and configuration', () => {
      const noName = signet('create-org', '--admin-email', 'x@acme.test');
      assert.equal(noName.code, 1);
      assert.match(noName.stderr, /--name is required/);
      const unknown = signet('frobnicate');
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown command/);
      const badEnv = spawnSync(process.execPath, [bin, 'migrate'], {
        env: { PATH: process.env.PATH ?? '', ...env, PORT: 'eighty', SMTP_URL: 'ftp://mail' },
        encoding: 'utf8',
      });
      assert.equal(badEnv.status, 1);
      assert.match(badEnv.stderr, /PORT: /);
      assert.match(badEnv.stderr, /SMTP_URL: /);
    });

    it('prints the root certificate relying parties should trust', () => {
      const result = signet('ca-root');
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^-----BEGIN CERTIFICATE-----/);
      assert.equal(result.stdout, readFileSync(join(dataDir, 'pki', 'root-ca.crt.pem'), 'utf8'));
    });

    it('renews a sealed B-LTA file into a new file with one more archive time-stamp, leaving the original alone', async () => {
      const config = loadConfig(env);
      const dev = await loadOrCreateDevPki(join(dataDir, 'pki'), {
        keyStore: await openConfiguredKeyStore(config, loadOrCreateMasterKey(dataDir, undefined)),
        publicUrl: config.publicUrl,
        profile: config.certificateProfile,
      });
      const sealed = new Uint8Array(await sealWithDevPki(dev, 'B-LTA'));
      const file = join(dataDir, 'sealed.pdf');
      writeFileSync(file, sealed);
      const result = signet('renew', file);
      assert.equal(result.code, 0, result.stderr);
      const printed = JSON.parse(result.stdout) as {
        file: string;
        archiveExpiresAt: { before: string; after: string };
      };
      assert.equal(printed.file, join(dataDir, 'sealed.renewed.pdf'));
      assert.ok(Date.parse(printed.archiveExpiresAt.before) > Date.now());
      assert.deepEqual(new Uint8Array(readFileSync(file)), sealed, 'the original is untouched');
      const renewed = new Uint8Array(readFileSync(printed.file));
      assert.deepEqual(renewed.subarray(0, sealed.length), sealed, 'an incremental update');
      assert.deepEqual(
        embeddedSignatures(renewed).map((s) => s.kind),
        ['signature', 'document-timestamp', 'document-timestamp'],
      );
      const missing = signet('renew', join(dataDir, 'nothing.pdf'));
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /FILE_UNREADABLE/);
    });

    it('migrates idempotently and shows an empty outbox', () => {
      const migrated = signet('migrate');
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.deepEqual(JSON.parse(migrated.stdout), { applied: [] });
      const outbox = signet('outbox', '--org', organizationId);
      assert.equal(outbox.code, 0, outbox.stderr);
      assert.match(outbox.stdout, /The outbox is empty/);
      // It holds signing links and codes: one organisation at a time, never all of them.
      const everyone = signet('outbox');
      assert.equal(everyone.code, 1);
      assert.match(everyone.stderr, /--org is required/);
      const unknown = signet('outbox', '--org', '00000000-0000-4000-8000-000000000000');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /ORG_NOT_FOUND/);
    });

    it('verifies audit chains and exits non-zero when one was tampered with', async () => {
      // The key is made by the CLI, as an operator would, before the server holds the database.
      const made = signet('create-api-key', '--org', organizationId);
      assert.equal(made.code, 0, made.stderr);
      const key = JSON.parse(made.stdout) as { apiKey: string };
      const config = loadConfig({ ...env, PORT: '0', HOST: '127.0.0.1' });
      const server = await startSignet(config, { logger: pino({ level: 'silent' }), bootstrap: false });
      const api = apiClient(server.app, key.apiKey);
      // The user the CLI made signs in with the printed password and acts with their role.
      const signedIn = await apiClient(server.app).post<{ token: string }>('/api/v1/auth/sign-in', {
        email: createdUser.email,
        password: createdUser.password,
      });
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      const sid = apiClient(server.app, signedIn.body.token);
      assert.equal((await sid.get<{ role: string }>('/api/v1/auth/me')).body.role, 'sender');
      assert.equal((await sid.get('/api/v1/users')).status, 403, 'a sender manages no users');
      const created = await api.post<{ id: string }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf()),
      );
      assert.equal(created.status, 201);
      await server.close();

      const clean = signet('audit-verify', created.body.id);
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
      assert.match(clean.stdout, /^OK/m);

      const db = await openConfiguredDatabase(config);
      await db.query(`update audit_events set actor = 'someone-else' where envelope_id = $1 and seq = 1`, [
        created.body.id,
      ]);
      await db.close();
      const tampered = signet('audit-verify');
      assert.equal(tampered.code, 1);
      assert.match(tampered.stdout, /FAIL/);
      assert.match(tampered.stdout, /hash-mismatch/);
      assert.match(tampered.stdout, /0 verified, 1 failed/);
    });

    it("shows an organisation's outbox, its sealed bodies opened with the master key", () => {
      // The envelope sent in the test above invited sam@client.test.
      const outbox = signet('outbox', '--org', organizationId);
      assert.equal(outbox.code, 0, outbox.stderr);
      assert.match(outbox.stdout, /to sam@client\.test/);
      assert.match(outbox.stdout, /\/sign\/[A-Za-z0-9_-]{43}/);
    });

    if (kind === 'pglite') {
      it('says clearly when a running server holds the embedded database', () => {
        // A live process (this test runner) holding the lock stands for `npm start`.
        writeFileSync(join(dataDir, 'pglite.lock'), String(process.pid));
        try {
          const result = signet('outbox', '--org', organizationId);
          assert.equal(result.code, 1);
          assert.match(result.stderr, /in use by another Signet process/);
        } finally {
          rmSync(join(dataDir, 'pglite.lock'), { force: true });
        }
      });
    }
  });
}
