import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import { apiClient } from '../../test/support/apiClient.ts';
import { databaseKinds, startTestSignet, type TestSignet } from '../../test/support/signetHarness.ts';
import { createOrganization } from './organizations.ts';
import { hashPassword } from './passwords.ts';
import { MAX_FAILED_SIGN_INS } from './signIn.ts';

/*
 * Staff sign-in through the real API (SPEC §E): password, TOTP with recovery codes, sessions
 * that act with the user's role, lockout, sign-out and password change.
 */

for (const kind of databaseKinds()) {
  describe(`staff sign-in on ${kind}`, () => {
    let signet: TestSignet;
    const anonymous = () => apiClient(signet.app);

    before(async () => {
      signet = await startTestSignet(kind);
    });
    after(async () => signet?.stop());

    async function newOrganization() {
      const created = await createOrganization(signet.platform.db, {
        name: `Org ${randomUUID().slice(0, 8)}`,
        adminEmail: `owner-${randomUUID().slice(0, 8)}@acme.test`,
        adminName: 'Olive Owner',
      });
      return created;
    }

    async function signIn(email: string, password: string) {
      return anonymous().post<{ status: string; token?: string; challenge?: string; code?: string }>(
        '/api/v1/auth/sign-in',
        { email, password },
      );
    }

    it('signs the owner in with the printed password; the session acts with the owner’s role', async () => {
      const org = await newOrganization();
      const wrong = await signIn(org.adminEmail, 'not the password');
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.code, 'SIGN_IN_FAILED');
      const unknown = await signIn('nobody@acme.test', 'whatever');
      assert.deepEqual(
        [unknown.status, unknown.body.code],
        [401, 'SIGN_IN_FAILED'],
        'same answer for no account',
      );

      const ok = await signIn(org.adminEmail, org.adminPassword);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.status, 'signed-in');
      assert.match(ok.body.token ?? '', /^sgs_/);
      const session = apiClient(signet.app, ok.body.token);
      const me = await session.get<{ email: string; role: string; twoStepSignIn: boolean }>(
        '/api/v1/auth/me',
      );
      assert.deepEqual(
        [me.body.email, me.body.role, me.body.twoStepSignIn],
        [org.adminEmail, 'owner', false],
      );
      assert.equal((await session.get('/api/v1/envelopes')).status, 200);
      assert.equal((await session.get('/api/v1/organization/signature-policy')).status, 200);
    });

    it('gives a viewer read access only', async () => {
      const org = await newOrganization();
      await signet.platform.db.query(
        `insert into users (id, organization_id, email, name, role, password_hash) values ($1, $2, $3, 'Vic', 'viewer', $4)`,
        [randomUUID(), org.organizationId, 'vic@acme.test', await hashPassword('correct horse battery')],
      );
      const token = (await signIn('vic@acme.test', 'correct horse battery')).body.token;
      const viewer = apiClient(signet.app, token);
      assert.equal((await viewer.get('/api/v1/envelopes')).status, 200);
      const create = await viewer.post('/api/v1/envelopes', {});
      assert.equal(create.status, 403);
      assert.equal(create.body.code, 'API_KEY_SCOPE_MISSING');
    });

    it(`locks the account after ${MAX_FAILED_SIGN_INS} wrong passwords, even for the right one, answering as for no account`, async () => {
      const org = await newOrganization();
      for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) await signIn(org.adminEmail, `guess-${i}`);
      const locked = await signIn(org.adminEmail, org.adminPassword);
      const unknown = await signIn('nobody@acme.test', org.adminPassword);
      assert.deepEqual([locked.status, locked.body.code], [401, 'SIGN_IN_FAILED']);
      assert.deepEqual(
        { ...locked.body, requestId: undefined },
        { ...unknown.body, requestId: undefined },
        'a locked account answers exactly as an unknown one',
      );
      const [user] = await signet.platform.db.query<{ locked_until: Date | null }>(
        'select locked_until from users where email = $1',
        [org.adminEmail],
      );
      assert.ok(
        user?.locked_until && new Date(user.locked_until).getTime() > Date.now(),
        'the account is locked',
      );
    });

    it('asks for a TOTP code once enrolled, accepts each code once, and takes a recovery code once', async () => {
      const org = await newOrganization();
      const first = apiClient(signet.app, (await signIn(org.adminEmail, org.adminPassword)).body.token);
      const enrolment = await first.post<{ secret: string; otpauthUri: string }>('/api/v1/auth/totp');
      assert.match(enrolment.body.otpauthUri, /^otpauth:\/\/totp\/Signet:/);
      const badConfirm = await first.post('/api/v1/auth/totp/confirm', { code: '000000' });
      assert.equal(badConfirm.status, 422);
      const enrolmentCode = await generate({ secret: enrolment.body.secret });
      const confirmed = await first.post<{ recoveryCodes: string[] }>('/api/v1/auth/totp/confirm', {
        code: enrolmentCode,
      });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      assert.equal(confirmed.body.recoveryCodes.length, 10);

      const step = await signIn(org.adminEmail, org.adminPassword);
      assert.equal(step.body.status, 'second-factor-required');
      const challenge = step.body.challenge;
      assert.equal(
        (await apiClient(signet.app, challenge).get('/api/v1/envelopes')).status,
        401,
        'not a session yet',
      );

      // The code used to confirm enrolment is spent: its time step is never accepted again.
      const replay = await anonymous().post('/api/v1/auth/second-factor', { challenge, code: enrolmentCode });
      assert.equal(replay.status, 401);
      assert.equal(replay.body.code, 'SECOND_FACTOR_FAILED');

      const recovery = confirmed.body.recoveryCodes[0];
      const viaRecovery = await anonymous().post<{ status: string; token: string }>(
        '/api/v1/auth/second-factor',
        {
          challenge,
          recoveryCode: recovery,
        },
      );
      assert.equal(viaRecovery.status, 200, JSON.stringify(viaRecovery.body));
      assert.equal(viaRecovery.body.status, 'signed-in');
      assert.equal(
        (await apiClient(signet.app, viaRecovery.body.token).get('/api/v1/envelopes')).status,
        200,
      );

      // A code of the next time step (what the phone shows a few seconds later) signs in.
      const nextCode = await generate({
        secret: enrolment.body.secret,
        epoch: Math.floor(Date.now() / 1000) + 30,
      });
      const viaTotp = await anonymous().post<{ status: string }>('/api/v1/auth/second-factor', {
        challenge: (await signIn(org.adminEmail, org.adminPassword)).body.challenge,
        code: nextCode,
      });
      assert.equal(viaTotp.status, 200, JSON.stringify(viaTotp.body));
      assert.equal(viaTotp.body.status, 'signed-in');

      const again = await signIn(org.adminEmail, org.adminPassword);
      const reused = await anonymous().post('/api/v1/auth/second-factor', {
        challenge: again.body.challenge,
        recoveryCode: recovery,
      });
      assert.equal(reused.status, 401, 'a recovery code works once');
    });

    it('ends the session on sign-out, and every session on a password change', async () => {
      const org = await newOrganization();
      const one = apiClient(signet.app, (await signIn(org.adminEmail, org.adminPassword)).body.token);
      const two = apiClient(signet.app, (await signIn(org.adminEmail, org.adminPassword)).body.token);
      assert.equal((await one.post('/api/v1/auth/sign-out')).status, 204);
      const ended = await one.get('/api/v1/auth/me');
      assert.deepEqual([ended.status, ended.body.code], [401, 'SESSION_INVALID']);

      const short = await two.put('/api/v1/auth/password', {
        currentPassword: org.adminPassword,
        newPassword: 'short',
      });
      assert.equal(short.body.code, 'PASSWORD_TOO_SHORT');
      const wrong = await two.put('/api/v1/auth/password', {
        currentPassword: 'nope',
        newPassword: 'a much longer passphrase',
      });
      assert.equal(wrong.body.code, 'PASSWORD_WRONG');
      const changed = await two.put('/api/v1/auth/password', {
        currentPassword: org.adminPassword,
        newPassword: 'a much longer passphrase',
      });
      assert.equal(changed.status, 200);
      assert.equal((await two.get('/api/v1/auth/me')).status, 401, 'sessions end with the old password');
      assert.equal((await signIn(org.adminEmail, 'a much longer passphrase')).body.status, 'signed-in');
    });
  });
}
