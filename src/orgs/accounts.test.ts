import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { apiClient } from '../../test/support/apiClient.ts';
import { type BrowserSession, signInBrowser } from '../../test/support/browserSession.ts';
import {
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../../test/support/signetHarness.ts';
import { accountMailer } from '../notify/accountMail.ts';
import { listOutbox } from '../notify/outbox.ts';
import { createUserWithPassword, sendPasswordResets } from './accounts.ts';
import { createOrganization } from './organizations.ts';
import type { Role } from './scopes.ts';
import { issueSsoSignInCode } from './sso.ts';

/*
 * Staff accounts through the real API (issue 11): invitations by mail, roles and their rules,
 * deactivation, password reset by mail. Owners and admins act from a browser session (cookie
 * and CSRF token), as the web app does.
 */

interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: 'active' | 'invited' | 'deactivated';
}
interface MailView {
  to: string;
  kind: string;
  subject: string;
  text: string | null;
}

const PASSWORD = 'correct horse battery staple';

for (const kind of databaseKinds()) {
  describe(`staff accounts on ${kind}`, () => {
    let signet: TestSignet;
    let publicUrl: string;
    const anyone = () => apiClient(signet.app);

    before(async () => {
      signet = await startTestSignet(kind);
      publicUrl = signet.platform.config.publicUrl;
    });
    after(async () => signet?.stop());

    /** A new organisation, its owner signed in in a browser, and helpers to add people. */
    async function organization() {
      const created = await createOrganization(signet.platform.db, {
        name: `Org ${randomUUID().slice(0, 8)}`,
        adminEmail: `owner-${randomUUID().slice(0, 8)}@acme.test`,
        adminName: 'Olive Owner',
      });
      const owner = await signInBrowser(signet.app, publicUrl, created.adminEmail, created.adminPassword);
      /** Someone with a password and `role`, signed in in their own browser. */
      const member = async (role: Role, email = `${role}-${randomUUID().slice(0, 8)}@acme.test`) => {
        const { user, password } = await createUserWithPassword(signet.platform.db, {
          organizationId: created.organizationId,
          email,
          role,
          name: `A ${role}`,
        });
        return { user, password, session: await signInBrowser(signet.app, publicUrl, email, password) };
      };
      return { ...created, owner, member, key: apiClient(signet.app, created.apiKey) };
    }

    /** The organisation's mail as its operator reads it (`signet outbox`: every body). */
    async function operatorOutbox(organizationId: string) {
      return listOutbox(signet.platform.db, signet.platform.secrets, {
        organizationId,
        limit: 500,
        withBodies: true,
        reader: 'operator',
      });
    }

    const tokenIn = (text: string | null, page: string) =>
      new RegExp(`${publicUrl.replace(/[.:/]/g, '\\$&')}/app/${page}\\?token=([A-Za-z0-9_%-]+)`).exec(
        text ?? '',
      )?.[1];

    it('invites by mail: the link sets a password once, and the new user signs in with their role', async () => {
      const org = await organization();
      const invited = await org.owner.post<UserView>('/api/v1/users', {
        email: 'Sam.Sender@Acme.test',
        role: 'sender',
        name: 'Sam Sender',
      });
      assert.equal(invited.status, 201, JSON.stringify(invited.body));
      assert.deepEqual(
        [invited.body.email, invited.body.role, invited.body.status],
        ['sam.sender@acme.test', 'sender', 'invited'],
      );
      const noPasswordYet = await anyone().post('/api/v1/auth/sign-in', {
        email: 'sam.sender@acme.test',
        password: PASSWORD,
      });
      assert.equal(noPasswordYet.body.code, 'SIGN_IN_FAILED');

      // The owner reads it in the local outbox, as the zero-set-up install's mailbox.
      const mail = await eventually(async () => {
        const outbox = await org.owner.get<{ messages: MailView[] }>('/api/v1/outbox/mail?limit=500');
        return outbox.body.messages.find((m) => m.to === 'sam.sender@acme.test');
      }, 'the invitation');
      assert.equal(mail.kind, 'account-invitation');
      assert.match(mail.subject, /invited to join Org/);
      assert.match(mail.text ?? '', /Olive Owner has invited you/);
      const token = decodeURIComponent(tokenIn(mail.text, 'accept-invite') ?? '');
      assert.match(token, /^sgi_/);

      const short = await anyone().post('/api/v1/auth/accept-invite', { token, password: 'short' });
      assert.deepEqual([short.status, short.body.code], [422, 'PASSWORD_TOO_SHORT']);
      const accepted = await anyone().post<{ user: UserView }>('/api/v1/auth/accept-invite', {
        token,
        password: PASSWORD,
        name: 'Samantha Sender',
      });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.deepEqual([accepted.body.user.status, accepted.body.user.name], ['active', 'Samantha Sender']);
      const again = await anyone().post('/api/v1/auth/accept-invite', { token, password: `${PASSWORD}!` });
      assert.deepEqual([again.status, again.body.code], [410, 'INVITATION_INVALID'], 'the link works once');

      const sam = await signInBrowser(signet.app, publicUrl, 'sam.sender@acme.test', PASSWORD);
      assert.equal((await sam.get<{ role: string }>('/api/v1/auth/me')).body.role, 'sender');
      const manage = await sam.get('/api/v1/users');
      assert.deepEqual(
        [manage.status, manage.body.code],
        [403, 'API_KEY_SCOPE_MISSING'],
        'a sender manages no users',
      );
      const invite = await sam.post('/api/v1/users', { email: 'x@acme.test', role: 'viewer' });
      assert.equal(invite.status, 403);
    });

    it('refuses an unknown, expired or wrong-purpose link alike', async () => {
      const org = await organization();
      await org.owner.post('/api/v1/users', { email: 'late@acme.test', role: 'viewer' });
      const mails = await operatorOutbox(org.organizationId);
      const token = decodeURIComponent(
        tokenIn(mails.find((m) => m.to === 'late@acme.test')?.text ?? null, 'accept-invite') ?? '',
      );
      const asReset = await anyone().post('/api/v1/auth/password-reset/complete', {
        token,
        password: PASSWORD,
      });
      assert.deepEqual([asReset.status, asReset.body.code], [410, 'PASSWORD_RESET_INVALID']);
      await signet.platform.db.query(
        `update account_tokens set expires_at = now() - interval '1 second' where organization_id = $1`,
        [org.organizationId],
      );
      const expired = await anyone().post('/api/v1/auth/accept-invite', { token, password: PASSWORD });
      assert.deepEqual([expired.status, expired.body.code], [410, 'INVITATION_INVALID']);
      const madeUp = await anyone().post('/api/v1/auth/accept-invite', {
        token: 'sgi_madeupmadeup',
        password: PASSWORD,
      });
      assert.deepEqual([madeUp.status, madeUp.body.code], [410, 'INVITATION_INVALID']);
    });

    it('refuses a second account with the same address, and an address that is not one', async () => {
      const org = await organization();
      const first = await org.owner.post('/api/v1/users', { email: 'dup@acme.test', role: 'viewer' });
      assert.equal(first.status, 201);
      const second = await org.owner.post('/api/v1/users', { email: 'DUP@acme.test', role: 'sender' });
      assert.deepEqual([second.status, second.body.code], [409, 'USER_EXISTS']);
      const owners = await org.owner.post('/api/v1/users', { email: org.adminEmail, role: 'viewer' });
      assert.equal(owners.body.code, 'USER_EXISTS');
      const notAnAddress = await org.owner.post('/api/v1/users', { email: 'nobody', role: 'viewer' });
      assert.equal(notAnAddress.status, 400);
      const badRole = await org.owner.post('/api/v1/users', { email: 'r@acme.test', role: 'superuser' });
      assert.equal(badRole.status, 400);
    });

    it('lets only an owner make, change, deactivate or reactivate an owner', async () => {
      const org = await organization();
      const admin = await org.member('admin');
      const ownerInvite = await admin.session.post('/api/v1/users', { email: 'o2@acme.test', role: 'owner' });
      assert.deepEqual([ownerInvite.status, ownerInvite.body.code], [403, 'OWNER_REQUIRED']);
      const sender = await org.member('sender');
      const promote = await admin.session.patch(`/api/v1/users/${sender.user.id}`, { role: 'owner' });
      assert.deepEqual([promote.status, promote.body.code], [403, 'OWNER_REQUIRED']);
      const selfPromote = await admin.session.patch(`/api/v1/users/${admin.user.id}`, { role: 'owner' });
      assert.equal(selfPromote.body.code, 'OWNER_REQUIRED');
      const rename = await admin.session.patch(`/api/v1/users/${org.adminUserId}`, { name: 'Mallory' });
      assert.deepEqual([rename.status, rename.body.code], [403, 'OWNER_REQUIRED']);
      const deactivate = await admin.session.post(`/api/v1/users/${org.adminUserId}/deactivate`);
      assert.equal(deactivate.body.code, 'OWNER_REQUIRED');
      // An API key has no role: even one that administers the organisation never touches owners.
      const byKey = await org.key.post('/api/v1/users', { email: 'o3@acme.test', role: 'owner' });
      assert.equal(byKey.body.code, 'OWNER_REQUIRED');

      // Admins manage everyone else.
      const demote = await admin.session.patch<UserView>(`/api/v1/users/${sender.user.id}`, {
        role: 'viewer',
      });
      assert.deepEqual([demote.status, demote.body.role], [200, 'viewer']);

      const byOwner = await org.owner.post<UserView>('/api/v1/users', {
        email: 'o2@acme.test',
        role: 'owner',
      });
      assert.equal(byOwner.status, 201, JSON.stringify(byOwner.body));
      const promoted = await org.owner.patch<UserView>(`/api/v1/users/${admin.user.id}`, { role: 'owner' });
      assert.equal(promoted.body.role, 'owner');
    });

    it('never demotes or deactivates the last active owner, and nobody deactivates themselves', async () => {
      const org = await organization();
      const demoteSelf = await org.owner.patch(`/api/v1/users/${org.adminUserId}`, { role: 'admin' });
      assert.deepEqual([demoteSelf.status, demoteSelf.body.code], [409, 'LAST_ACTIVE_OWNER']);
      const deactivateSelf = await org.owner.post(`/api/v1/users/${org.adminUserId}/deactivate`);
      assert.deepEqual([deactivateSelf.status, deactivateSelf.body.code], [409, 'SELF_DEACTIVATION']);

      const second = await org.member('owner');
      const first = await org.owner.patch<UserView>(`/api/v1/users/${org.adminUserId}`, { role: 'admin' });
      assert.equal(first.status, 200, 'with another active owner, an owner may step down');
      const last = await second.session.patch(`/api/v1/users/${second.user.id}`, { role: 'sender' });
      assert.equal(last.body.code, 'LAST_ACTIVE_OWNER');
      // A deactivated owner is no owner to rely on.
      const back = await second.session.patch<UserView>(`/api/v1/users/${org.adminUserId}`, {
        role: 'owner',
      });
      assert.equal(back.body.role, 'owner');
      assert.equal((await second.session.post(`/api/v1/users/${org.adminUserId}/deactivate`)).status, 200);
      const onlyActive = await second.session.patch(`/api/v1/users/${second.user.id}`, { role: 'admin' });
      assert.equal(onlyActive.body.code, 'LAST_ACTIVE_OWNER');
    });

    it('deactivation ends the sessions, refuses sign-in and stops the user’s keys; reactivation restores them', async () => {
      const org = await organization();
      const admin = await org.member('admin');
      const stale = apiClient(
        signet.app,
        (
          await anyone().post<{ token: string }>('/api/v1/auth/sign-in', {
            email: admin.user.email,
            password: admin.password,
          })
        ).body.token,
      );
      const made = await admin.session.post<{ key: string }>('/api/v1/api-keys', {
        name: 'admin’s integration',
        scopes: ['envelopes:read', 'organization:admin'],
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const adminKey = apiClient(signet.app, made.body.key);
      assert.equal((await adminKey.get('/api/v1/users')).status, 200);

      const deactivated = await org.owner.post<UserView>(`/api/v1/users/${admin.user.id}/deactivate`);
      assert.deepEqual([deactivated.status, deactivated.body.status], [200, 'deactivated']);
      for (const session of [admin.session, stale]) {
        const ended = await session.get('/api/v1/auth/me');
        assert.deepEqual([ended.status, ended.body.code], [401, 'SESSION_INVALID']);
      }
      const signIn = await anyone().post('/api/v1/auth/sign-in', {
        email: admin.user.email,
        password: admin.password,
      });
      assert.deepEqual(
        [signIn.status, signIn.body.code],
        [401, 'SIGN_IN_FAILED'],
        'answered as for no account',
      );
      const viaSso = await signet.platform.db.transaction((tx) =>
        issueSsoSignInCode(signet.platform, tx, {
          organizationId: org.organizationId,
          email: admin.user.email,
          method: 'saml',
        }),
      );
      assert.deepEqual(viaSso, { passed: false, reason: 'SSO_USER_UNKNOWN' }, 'nor through single sign-on');
      const keyRefused = await adminKey.get('/api/v1/envelopes');
      assert.deepEqual([keyRefused.status, keyRefused.body.code], [401, 'API_KEY_INVALID']);
      const again = await org.owner.post<UserView>(`/api/v1/users/${admin.user.id}/deactivate`);
      assert.equal(again.body.status, 'deactivated', 'deactivating twice changes nothing');

      const reactivated = await org.owner.post<UserView>(`/api/v1/users/${admin.user.id}/reactivate`);
      assert.equal(reactivated.body.status, 'active');
      await signInBrowser(signet.app, publicUrl, admin.user.email, admin.password);
      assert.equal((await adminKey.get('/api/v1/users')).status, 200, 'their key works again');
    });

    it('caps the keys a user made at the role they have now', async () => {
      const org = await organization();
      const admin = await org.member('admin');
      const made = await admin.session.post<{ key: string }>('/api/v1/api-keys', {
        name: 'admin key',
        scopes: ['envelopes:read', 'organization:admin'],
      });
      const key = apiClient(signet.app, made.body.key);
      assert.equal((await key.get('/api/v1/outbox/mail')).status, 200);
      await org.owner.patch(`/api/v1/users/${admin.user.id}`, { role: 'viewer' });
      const demoted = await key.get('/api/v1/outbox/mail');
      assert.deepEqual([demoted.status, demoted.body.code], [403, 'API_KEY_SCOPE_MISSING']);
      assert.equal((await key.get('/api/v1/envelopes')).status, 200, 'what the role still allows, it does');
    });

    it('lists the users page by page, filtered by status', async () => {
      const org = await organization();
      for (const role of ['admin', 'sender', 'viewer'] as const) await org.member(role);
      await org.owner.post('/api/v1/users', { email: 'pending@acme.test', role: 'viewer' });
      const seen: UserView[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/api/v1/users?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await org.owner.get<{ data: UserView[]; nextCursor: string | null }>(url);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        assert.ok(page.body.data.length <= 2);
        seen.push(...page.body.data);
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.deepEqual(
        seen.map((user) => user.role),
        ['owner', 'admin', 'sender', 'viewer', 'viewer'],
        'every user once, in the order they were added',
      );
      const invited = await org.owner.get<{ data: UserView[] }>('/api/v1/users?status=invited');
      assert.deepEqual(
        invited.body.data.map((user) => user.email),
        ['pending@acme.test'],
      );
      const bad = await org.owner.get('/api/v1/users?cursor=nonsense');
      assert.equal(bad.body.code, 'CURSOR_INVALID');
    });

    it('keeps organisations apart: another organisation’s user is not found', async () => {
      const alice = await organization();
      const bob = await organization();
      const bobsSender = await bob.member('sender');
      for (const [method, url, body] of [
        ['GET', `/api/v1/users/${bobsSender.user.id}`, undefined],
        ['PATCH', `/api/v1/users/${bobsSender.user.id}`, { role: 'viewer' }],
        ['POST', `/api/v1/users/${bobsSender.user.id}/deactivate`, {}],
        ['POST', `/api/v1/users/${bobsSender.user.id}/reactivate`, {}],
        ['GET', '/api/v1/users/not-a-uuid', undefined],
      ] as const) {
        const answer = await alice.owner.call(method, url, body);
        assert.deepEqual([answer.status, answer.body.code], [404, 'USER_NOT_FOUND'], `${method} ${url}`);
      }
      const listed = await alice.owner.get<{ data: UserView[] }>('/api/v1/users');
      assert.ok(!listed.body.data.some((user) => user.id === bobsSender.user.id));
      assert.equal((await bobsSender.session.get('/api/v1/auth/me')).status, 200, 'untouched');
    });

    it('shows an invitation to become an owner only to owners, in the outbox', async () => {
      const org = await organization();
      const admin = await org.member('admin');
      await org.owner.post('/api/v1/users', { email: 'next-owner@acme.test', role: 'owner' });
      await org.owner.post('/api/v1/users', { email: 'next-viewer@acme.test', role: 'viewer' });
      const read = async (session: BrowserSession, to: string) =>
        eventually(async () => {
          const outbox = await session.get<{ messages: MailView[] }>('/api/v1/outbox/mail?limit=500');
          return outbox.body.messages.find((m) => m.to === to);
        }, `the mail to ${to}`);
      assert.equal(
        (await read(admin.session, 'next-owner@acme.test')).text,
        null,
        'an admin could accept it and be owner',
      );
      assert.match((await read(admin.session, 'next-viewer@acme.test')).text ?? '', /accept-invite/);
      assert.match((await read(org.owner, 'next-owner@acme.test')).text ?? '', /accept-invite/);
    });

    describe('password reset by mail', () => {
      it('answers 202 whether or not the address has an account, and mails only an account', async () => {
        const org = await organization();
        const sender = await org.member('sender');
        const known = await anyone().post('/api/v1/auth/password-reset', { email: sender.user.email });
        const unknown = await anyone().post('/api/v1/auth/password-reset', { email: 'nobody@acme.test' });
        assert.deepEqual([known.status, known.body], [202, { accepted: true }]);
        assert.deepEqual([unknown.status, unknown.body], [202, { accepted: true }], 'no account enumeration');
        const mail = await eventually(
          async () => (await operatorOutbox(org.organizationId)).find((m) => m.kind === 'password-reset'),
          'the reset mail',
        );
        assert.equal(mail.to, sender.user.email);
        assert.match(mail.text ?? '', /works once, for 60 minutes/);
        // Through the API even an owner sees no reset link: it would open someone else's account.
        const viaApi = await org.owner.get<{ messages: MailView[] }>('/api/v1/outbox/mail?limit=500');
        const listed = viaApi.body.messages.find((m) => m.kind === 'password-reset');
        assert.ok(listed, 'the mail is listed');
        assert.equal(listed.text, null);
      });

      it('sets the new password once, ends every session and unlocks the account', async () => {
        const org = await organization();
        const sender = await org.member('sender');
        const otherBrowser = await signInBrowser(signet.app, publicUrl, sender.user.email, sender.password);
        for (let i = 0; i < 5; i++) {
          await anyone().post('/api/v1/auth/sign-in', { email: sender.user.email, password: `guess ${i}` });
        }
        await anyone().post('/api/v1/auth/password-reset', { email: sender.user.email });
        const mail = await eventually(
          async () => (await operatorOutbox(org.organizationId)).find((m) => m.kind === 'password-reset'),
          'the reset mail',
        );
        const token = decodeURIComponent(tokenIn(mail.text, 'reset-password') ?? '');
        assert.match(token, /^sgr_/);
        const done = await anyone().post('/api/v1/auth/password-reset/complete', {
          token,
          password: 'a brand new passphrase',
        });
        assert.deepEqual([done.status, done.body], [200, { changed: true }]);
        for (const session of [sender.session, otherBrowser]) {
          assert.equal((await session.get('/api/v1/auth/me')).status, 401, 'every session ended');
        }
        const old = await anyone().post('/api/v1/auth/sign-in', {
          email: sender.user.email,
          password: sender.password,
        });
        assert.equal(old.body.code, 'SIGN_IN_FAILED');
        await signInBrowser(signet.app, publicUrl, sender.user.email, 'a brand new passphrase');
        const reused = await anyone().post('/api/v1/auth/password-reset/complete', {
          token,
          password: PASSWORD,
        });
        assert.deepEqual([reused.status, reused.body.code], [410, 'PASSWORD_RESET_INVALID']);
      });

      it('keeps only the newest link, for an hour, and none for a deactivated account', async () => {
        const org = await organization();
        const viewer = await org.member('viewer');
        const links = async () =>
          (await operatorOutbox(org.organizationId))
            .filter((m) => m.kind === 'password-reset')
            .map((m) => decodeURIComponent(tokenIn(m.text, 'reset-password') ?? ''));
        await anyone().post('/api/v1/auth/password-reset', { email: viewer.user.email });
        const [first] = await eventually(
          async () => ((await links()).length === 1 ? links() : undefined),
          'one',
        );
        await anyone().post('/api/v1/auth/password-reset', { email: viewer.user.email });
        const [second] = await eventually(
          async () => ((await links()).length === 2 ? links() : undefined),
          'two',
        );
        assert.ok(first && second && first !== second);
        const older = await anyone().post('/api/v1/auth/password-reset/complete', {
          token: first,
          password: PASSWORD,
        });
        assert.equal(older.body.code, 'PASSWORD_RESET_INVALID', 'a newer link replaces the older one');

        const [row] = await signet.platform.db.query<{ minutes: number }>(
          `select round(extract(epoch from expires_at - created_at) / 60) as minutes from account_tokens
            where user_id = $1 and used_at is null`,
          [viewer.user.id],
        );
        assert.equal(Number(row?.minutes), 60);

        await org.owner.post(`/api/v1/users/${viewer.user.id}/deactivate`);
        const deactivated = await anyone().post('/api/v1/auth/password-reset/complete', {
          token: second,
          password: PASSWORD,
        });
        assert.equal(deactivated.body.code, 'PASSWORD_RESET_INVALID', 'deactivation ends the open links');
        // What the job does for a request (run here, so its outcome is seen): nothing for them.
        const mailed = await sendPasswordResets(signet.platform, accountMailer(signet.platform), {
          email: viewer.user.email,
        });
        assert.equal(mailed, 0);
        assert.equal((await links()).length, 2);
      });

      it('limits requests per address like sign-in', async () => {
        const email = `limited-${randomUUID().slice(0, 8)}@acme.test`;
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) {
          statuses.push((await anyone().post('/api/v1/auth/password-reset', { email })).status);
        }
        assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429]);
      });
    });
  });
}
