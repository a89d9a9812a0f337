import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { apiClient } from '../../test/support/apiClient.ts';
import { signInBrowser } from '../../test/support/browserSession.ts';
import { databaseKinds, startTestSignet, type TestSignet } from '../../test/support/signetHarness.ts';
import { createUserWithPassword } from './accounts.ts';
import { createOrganization } from './organizations.ts';
import type { Role } from './scopes.ts';

/*
 * API keys through the API (issue 11): made with scopes the maker holds, the secret answered
 * once, listed without it, revoked at once; last use recorded to the minute.
 */

interface KeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  createdBy: { id: string; email: string; name: string } | null;
  key?: string;
}

for (const kind of databaseKinds()) {
  describe(`API keys through the API on ${kind}`, () => {
    let signet: TestSignet;
    let publicUrl: string;

    before(async () => {
      signet = await startTestSignet(kind);
      publicUrl = signet.platform.config.publicUrl;
    });
    after(async () => signet?.stop());

    async function organization() {
      const created = await createOrganization(signet.platform.db, {
        name: `Org ${randomUUID().slice(0, 8)}`,
        adminEmail: `owner-${randomUUID().slice(0, 8)}@acme.test`,
        adminName: 'Olive Owner',
      });
      const owner = await signInBrowser(signet.app, publicUrl, created.adminEmail, created.adminPassword);
      const member = async (role: Role) => {
        const email = `${role}-${randomUUID().slice(0, 8)}@acme.test`;
        const { user, password } = await createUserWithPassword(signet.platform.db, {
          organizationId: created.organizationId,
          email,
          role,
          name: `A ${role}`,
        });
        return { user, session: await signInBrowser(signet.app, publicUrl, email, password) };
      };
      return { ...created, owner, member };
    }

    it('answers the secret once, lists the key without it, and the key works until revoked', async () => {
      const org = await organization();
      const created = await org.owner.post<KeyView>('/api/v1/api-keys', {
        name: 'CRM integration',
        scopes: ['envelopes:read', 'envelopes:write'],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.match(created.body.key ?? '', /^sgk_/);
      assert.equal(created.body.prefix, created.body.key?.slice(0, 12));
      assert.deepEqual(created.body.scopes, ['envelopes:read', 'envelopes:write']);
      assert.equal(created.body.createdBy?.email, org.adminEmail);
      assert.equal(created.body.lastUsedAt, null);
      assert.equal(created.headers['cache-control'], 'no-store');
      const secret = created.body.key ?? '';

      const listed = await org.owner.get<{ data: KeyView[] }>('/api/v1/api-keys');
      assert.equal(listed.status, 200);
      const entry = listed.body.data.find((key) => key.id === created.body.id);
      assert.ok(entry);
      assert.equal(entry.key, undefined);
      assert.ok(!listed.raw.toString().includes(secret.slice(12)), 'the secret is nowhere in the list');
      assert.deepEqual(
        listed.body.data.map((key) => key.name),
        ['CRM integration', 'initial key'],
        'newest first, with the organisation’s first key',
      );

      const key = apiClient(signet.app, secret);
      assert.equal((await key.get('/api/v1/envelopes')).status, 200);
      const revoked = await org.owner.delete(`/api/v1/api-keys/${created.body.id}`);
      assert.equal(revoked.status, 204);
      const refused = await key.get('/api/v1/envelopes');
      assert.deepEqual([refused.status, refused.body.code], [401, 'API_KEY_INVALID']);
      const gone = await org.owner.get<{ data: KeyView[] }>('/api/v1/api-keys');
      assert.ok(!gone.body.data.some((k) => k.id === created.body.id), 'a revoked key leaves the list');
      const twice = await org.owner.delete(`/api/v1/api-keys/${created.body.id}`);
      assert.deepEqual([twice.status, twice.body.code], [404, 'API_KEY_NOT_FOUND']);
    });

    it('records the last use at most once a minute', async () => {
      const org = await organization();
      const created = await org.owner.post<KeyView>('/api/v1/api-keys', {
        name: 'poller',
        scopes: ['envelopes:read'],
      });
      const key = apiClient(signet.app, created.body.key);
      const lastUsed = async () =>
        (await org.owner.get<{ data: KeyView[] }>('/api/v1/api-keys')).body.data.find(
          (k) => k.id === created.body.id,
        )?.lastUsedAt;
      await key.get('/api/v1/envelopes');
      const first = await lastUsed();
      assert.ok(first, 'recorded on first use');
      for (let i = 0; i < 5; i++) await key.get('/api/v1/envelopes');
      assert.equal(await lastUsed(), first, 'not rewritten within the minute');
      await signet.platform.db.query(
        `update api_keys set last_used_at = last_used_at - interval '2 minutes' where id = $1`,
        [created.body.id],
      );
      const aged = await lastUsed();
      await key.get('/api/v1/envelopes');
      const later = await lastUsed();
      assert.ok(
        aged && later && Date.parse(later) > Date.parse(aged),
        'recorded again once a minute has passed',
      );
    });

    it('gives no key a scope its maker lacks', async () => {
      const org = await organization();
      const sender = await org.member('sender');
      const tooMuch = await sender.session.post('/api/v1/api-keys', {
        name: 'sneaky',
        scopes: ['envelopes:read', 'organization:admin'],
      });
      assert.deepEqual([tooMuch.status, tooMuch.body.code], [403, 'SCOPE_NOT_GRANTABLE']);
      assert.deepEqual(tooMuch.body.errors, [{ path: '/scopes/1', message: 'you lack this scope' }]);
      const viewer = await org.member('viewer');
      const write = await viewer.session.post('/api/v1/api-keys', { name: 'w', scopes: ['envelopes:write'] });
      assert.equal(write.body.code, 'SCOPE_NOT_GRANTABLE');
      const read = await viewer.session.post<KeyView>('/api/v1/api-keys', {
        name: 'r',
        scopes: ['envelopes:read'],
      });
      assert.equal(read.status, 201, 'a viewer may make a read-only key');

      // A key that administers the organisation makes keys too, within its own scopes.
      const limitedAdmin = await org.owner.post<KeyView>('/api/v1/api-keys', {
        name: 'provisioning',
        scopes: ['envelopes:read', 'organization:admin'],
      });
      const provisioning = apiClient(signet.app, limitedAdmin.body.key);
      const webhooks = await provisioning.post('/api/v1/api-keys', { name: 'x', scopes: ['webhooks:write'] });
      assert.equal(webhooks.body.code, 'SCOPE_NOT_GRANTABLE');
      const child = await provisioning.post<KeyView>('/api/v1/api-keys', {
        name: 'child',
        scopes: ['envelopes:read'],
      });
      assert.equal(child.status, 201);
      assert.equal(child.body.createdBy?.email, org.adminEmail, 'made by a key, it counts as its maker’s');

      const empty = await org.owner.post('/api/v1/api-keys', { name: 'none', scopes: [] });
      assert.equal(empty.status, 400);
      const unknown = await org.owner.post('/api/v1/api-keys', { name: 'x', scopes: ['everything'] });
      assert.equal(unknown.status, 400);
    });

    it('shows and revokes all keys to an admin, and only their own to anyone else', async () => {
      const org = await organization();
      const sender = await org.member('sender');
      const admin = await org.member('admin');
      const sendersKey = await sender.session.post<KeyView>('/api/v1/api-keys', {
        name: 'sender’s',
        scopes: ['envelopes:write'],
      });
      const ownersKey = await org.owner.post<KeyView>('/api/v1/api-keys', {
        name: 'owner’s',
        scopes: ['envelopes:read'],
      });

      const sendersView = await sender.session.get<{ data: KeyView[] }>('/api/v1/api-keys');
      assert.deepEqual(
        sendersView.body.data.map((k) => k.name),
        ['sender’s'],
      );
      const notTheirs = await sender.session.delete(`/api/v1/api-keys/${ownersKey.body.id}`);
      assert.deepEqual([notTheirs.status, notTheirs.body.code], [404, 'API_KEY_NOT_FOUND']);

      const adminsView = await admin.session.get<{ data: KeyView[] }>('/api/v1/api-keys');
      assert.deepEqual(adminsView.body.data.map((k) => k.name).sort(), [
        'initial key',
        'owner’s',
        'sender’s',
      ]);
      assert.equal((await admin.session.delete(`/api/v1/api-keys/${sendersKey.body.id}`)).status, 204);
      assert.equal((await sender.session.delete(`/api/v1/api-keys/${sendersKey.body.id}`)).status, 404);

      // A key that does not administer the organisation has no keys of its own to manage.
      const integration = apiClient(
        signet.app,
        (await sender.session.post<KeyView>('/api/v1/api-keys', { name: 'i', scopes: ['envelopes:read'] }))
          .body.key,
      );
      const byKey = await integration.get('/api/v1/api-keys');
      assert.deepEqual([byKey.status, byKey.body.code], [403, 'API_KEY_SCOPE_MISSING']);
    });

    it('keeps organisations apart: another organisation’s key is not found and keeps working', async () => {
      const alice = await organization();
      const bob = await organization();
      const bobsKey = await bob.owner.post<KeyView>('/api/v1/api-keys', {
        name: 'bob',
        scopes: ['envelopes:read'],
      });
      const refused = await alice.owner.delete(`/api/v1/api-keys/${bobsKey.body.id}`);
      assert.deepEqual([refused.status, refused.body.code], [404, 'API_KEY_NOT_FOUND']);
      assert.equal((await alice.owner.delete('/api/v1/api-keys/not-a-uuid')).status, 404);
      const listed = await alice.owner.get<{ data: KeyView[] }>('/api/v1/api-keys');
      assert.ok(!listed.body.data.some((k) => k.id === bobsKey.body.id));
      assert.equal((await apiClient(signet.app, bobsKey.body.key).get('/api/v1/envelopes')).status, 200);
    });

    it('pages through many keys', async () => {
      const org = await organization();
      for (let i = 0; i < 5; i++)
        await org.owner.post('/api/v1/api-keys', { name: `k${i}`, scopes: ['envelopes:read'] });
      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/api/v1/api-keys?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await org.owner.get<{ data: KeyView[]; nextCursor: string | null }>(url);
        names.push(...page.body.data.map((k) => k.name));
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.deepEqual(names, ['k4', 'k3', 'k2', 'k1', 'k0', 'initial key']);
    });
  });
}
