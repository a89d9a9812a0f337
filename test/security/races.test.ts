import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.ts';
import { ACCESS_CODE_MAX_FAILURES, ONE_TIME_CODE_MAX_ATTEMPTS } from '../../src/identity/policy.ts';
import { type RunningSignet, startSignet } from '../../src/main.ts';
import { createOrganization } from '../../src/orgs/organizations.ts';
import { MAX_FAILED_SIGN_INS } from '../../src/orgs/signIn.ts';
import { type ApiClient, apiClient } from '../support/apiClient.ts';
import { inviteSigner } from '../support/invitations.ts';
import {
  createTestOrganization,
  databaseKinds,
  freePort,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../support/smtpReceiver.ts';

/*
 * Finding 3 of the security review: `recordFailure` wrote `failed_sign_ins + 1` from a value
 * read earlier, so 15 parallel wrong passwords left the counter at 1 and the account unlocked.
 * Every counter and limit is hit here with parallel requests, through the real routes.
 */

const ACCESS_CODE = '4711-KX';

/** `count` copies of a request, all sent at once. */
const inParallel = <T>(count: number, send: (index: number) => Promise<T>) =>
  Promise.all(Array.from({ length: count }, (_, index) => send(index)));

for (const kind of databaseKinds()) {
  describe(`counters and limits under parallel requests on ${kind}`, () => {
    let signet: TestSignet;
    let smtp: SmtpReceiver;
    let api: ApiClient;

    before(async () => {
      smtp = await startSmtpReceiver();
      signet = await startTestSignet(kind, { SMTP_URL: smtp.url });
      api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
    });
    after(async () => {
      await signet?.stop();
      await smtp?.close();
    });

    const post = (url: string, payload: unknown, remoteAddress = '198.51.100.1') =>
      signet.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, remoteAddress });

    const invite = async (email: string, identity: unknown[]) =>
      (await inviteSigner(api, smtp, email, identity)).token;

    it(`locks an account after ${MAX_FAILED_SIGN_INS} of 15 parallel wrong passwords; the right one is then refused`, async () => {
      const org = await createOrganization(signet.platform.db, {
        name: 'Parallel Ltd',
        adminEmail: 'owner@parallel.test',
        adminName: 'Olive',
      });
      const answers = await inParallel(15, (i) =>
        post('/api/v1/auth/sign-in', { email: org.adminEmail, password: `guess-${i}` }, '198.51.100.10'),
      );
      assert.deepEqual(new Set(answers.map((a) => a.statusCode)), new Set([401]));
      const [user] = await signet.platform.db.query<{ failed_sign_ins: number; locked_until: Date | null }>(
        'select failed_sign_ins, locked_until from users where email = $1',
        [org.adminEmail],
      );
      assert.equal(user?.failed_sign_ins, MAX_FAILED_SIGN_INS, 'no attempt lost, none tried past the lock');
      assert.ok(user?.locked_until && new Date(user.locked_until).getTime() > Date.now(), 'locked');
      const right = await post(
        '/api/v1/auth/sign-in',
        { email: org.adminEmail, password: org.adminPassword },
        '198.51.100.10',
      );
      assert.equal(right.statusCode, 401, 'the right password does not open a locked account');
    });

    it(`locks an access code after ${ACCESS_CODE_MAX_FAILURES} wrong codes sent at once, then refuses the right one`, async () => {
      const token = await invite('ada@parallel.test', [{ kind: 'accessCode', code: ACCESS_CODE }]);
      // Nine at once: below the per-link rate limit of code attempts, so only the lockout decides.
      const answers = await inParallel(9, (i) =>
        post(`/api/v1/signing/${token}/identity/access-code`, { code: `WRONG-${i}` }),
      );
      const codes = answers.map((a) => (a.json() as { code: string }).code).sort();
      assert.equal(codes.filter((c) => c === 'ACCESS_CODE_WRONG').length, ACCESS_CODE_MAX_FAILURES - 1);
      assert.equal(codes.filter((c) => c === 'IDENTITY_LOCKED').length, 9 - ACCESS_CODE_MAX_FAILURES + 1);
      const right = await post(`/api/v1/signing/${token}/identity/access-code`, { code: ACCESS_CODE });
      assert.deepEqual([right.statusCode, (right.json() as { code: string }).code], [423, 'IDENTITY_LOCKED']);
      const [check] = await signet.platform.db.query<{ total_failures: number; status: string }>(
        `select total_failures, status from identity_checks where kind = 'accessCode'
          and recipient_id = (select id from recipients where email = 'ada@parallel.test')`,
      );
      assert.deepEqual([check?.total_failures, check?.status], [ACCESS_CODE_MAX_FAILURES, 'locked']);
    });

    it(`voids a one-time code after ${ONE_TIME_CODE_MAX_ATTEMPTS} wrong entries sent at once, then refuses the right one`, async () => {
      const email = 'bob@parallel.test';
      const token = await invite(email, [{ kind: 'otp', channel: 'email' }]);
      assert.equal((await post(`/api/v1/signing/${token}/identity/otp/send`, {})).statusCode, 202);
      const mail = await smtp.waitFor(
        (m) => m.to.includes(email) && /\b\d{6}\b/.test(m.subject + m.text),
        'code',
      );
      const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
      assert.ok(code);
      const wrong = code === '000000' ? '111111' : '000000';
      const answers = await inParallel(9, () =>
        post(`/api/v1/signing/${token}/identity/otp/verify`, { code: wrong }),
      );
      const codes = answers.map((a) => (a.json() as { code: string }).code);
      assert.equal(codes.filter((c) => c === 'OTP_WRONG').length, ONE_TIME_CODE_MAX_ATTEMPTS);
      assert.equal(
        codes.filter((c) => c === 'OTP_ATTEMPTS_EXHAUSTED').length,
        9 - ONE_TIME_CODE_MAX_ATTEMPTS,
      );
      const right = await post(`/api/v1/signing/${token}/identity/otp/verify`, { code });
      assert.equal((right.json() as { code: string }).code, 'OTP_ATTEMPTS_EXHAUSTED');
    });

    it('counts signing requests per link as well as per address, whatever addresses they come from', async () => {
      const token = await invite('carol@parallel.test', [{ kind: 'email' }]);
      // 130 requests for one link from 130 addresses: the per-address limit never bites.
      const answers = await inParallel(130, (i) =>
        signet.app.inject({ method: 'GET', url: `/sign/${token}`, remoteAddress: `203.0.113.${i + 1}` }),
      );
      const statuses = answers.map((a) => a.statusCode);
      assert.equal(statuses.filter((s) => s === 200).length, 120);
      assert.equal(statuses.filter((s) => s === 429).length, 10);
      const other = await invite('dave@parallel.test', [{ kind: 'email' }]);
      const elsewhere = await signet.app.inject({
        method: 'GET',
        url: `/sign/${other}`,
        remoteAddress: '203.0.113.1',
      });
      assert.equal(elsewhere.statusCode, 200, 'another recipient’s link has its own count');
    });

    it('lets exactly the limit through when requests over a rate limit arrive at once', async () => {
      // Sign-in allows 20 requests a minute per address; an empty body is refused after the count.
      const answers = await inParallel(30, () => post('/api/v1/auth/sign-in', {}, '198.51.100.20'));
      const statuses = answers.map((a) => a.statusCode);
      assert.equal(statuses.filter((s) => s === 400).length, 20);
      assert.equal(statuses.filter((s) => s === 429).length, 10);
      const limited = answers.find((a) => a.statusCode === 429);
      assert.ok(limited);
      assert.equal((limited.json() as { code: string }).code, 'RATE_LIMITED');
      assert.ok(Number(limited.headers['retry-after']) > 0);
    });
  });
}

if (databaseKinds().includes('postgres')) {
  describe('rate limits shared by two instances on one PostgreSQL database', () => {
    let first: TestSignet;
    let second: RunningSignet;
    let secondDataDir: string;

    before(async () => {
      first = await startTestSignet('postgres');
      secondDataDir = mkdtempSync(join(tmpdir(), 'signet-second-'));
      const port = await freePort();
      second = await startSignet(
        loadConfig({
          NODE_ENV: 'test',
          DATA_DIR: secondDataDir,
          PORT: String(port),
          HOST: '127.0.0.1',
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          DATABASE_URL: first.databaseUrl,
          LOG_LEVEL: 'silent',
        }),
        { logger: pino({ level: 'silent' }), bootstrap: false },
      );
    });
    after(async () => {
      await second?.close();
      await first?.stop();
      rmSync(secondDataDir, { recursive: true, force: true });
    });

    it('counts requests to either instance against one limit', async () => {
      const send = (app: RunningSignet['app']) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/auth/sign-in',
          payload: {},
          remoteAddress: '198.51.100.30',
        });
      const answers = await inParallel(30, (i) => send(i % 2 === 0 ? first.app : second.app));
      const statuses = answers.map((a) => a.statusCode);
      assert.equal(statuses.filter((s) => s === 400).length, 20);
      assert.equal(statuses.filter((s) => s === 429).length, 10);
    });
  });
}
