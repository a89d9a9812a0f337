import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { generateSecret, SECRET_PREFIX, signature, signedHeaders } from './signing.ts';

/*
 * Signatures checked by the specification's own library (npm standardwebhooks), not by the
 * code that made them.
 */
describe('Standard Webhooks signatures', () => {
  const body = JSON.stringify({
    type: 'envelope.sent',
    timestamp: '2026-12-01T10:00:00.000Z',
    data: { id: 'e' },
  });
  const now = () => Math.floor(Date.now() / 1000);

  it('matches the specification’s published example', () => {
    // The example of the Standard Webhooks / Svix documentation and libraries' tests.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    assert.equal(
      signature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('makes secrets of 32 random bytes behind whsec_, each different', () => {
    const secrets = new Set(Array.from({ length: 20 }, generateSecret));
    assert.equal(secrets.size, 20);
    for (const secret of secrets) {
      assert.ok(secret.startsWith(SECRET_PREFIX));
      assert.equal(Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64').length, 32);
    }
  });

  it('signs so that Webhook.verify accepts the body and returns it parsed', () => {
    const secret = generateSecret();
    const headers = signedHeaders([secret], 'msg_1', now(), body);
    assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
  });

  it('is refused by Webhook.verify under another secret, with another body, id or timestamp', () => {
    const secret = generateSecret();
    const timestamp = now();
    const headers = { ...signedHeaders([secret], 'msg_1', timestamp, body) };
    const refused = (secretUsed: string, payload: string, changed: Record<string, string>) =>
      assert.throws(
        () => new Webhook(secretUsed).verify(payload, { ...headers, ...changed }),
        WebhookVerificationError,
      );
    refused(generateSecret(), body, {});
    refused(secret, body.replace('envelope.sent', 'envelope.voided'), {});
    refused(secret, body, { 'webhook-id': 'msg_2' });
    refused(secret, body, { 'webhook-timestamp': String(timestamp + 1) });
  });

  it('signs with every valid secret, space-separated, so both verify during a rotation', () => {
    const current = generateSecret();
    const previous = generateSecret();
    const headers = signedHeaders([current, previous], 'msg_1', now(), body);
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/=]+ v1,[A-Za-z0-9+/=]+$/);
    for (const secret of [current, previous]) new Webhook(secret).verify(body, { ...headers });
    assert.throws(() => new Webhook(generateSecret()).verify(body, { ...headers }), WebhookVerificationError);
  });

  it('refuses to sign with no secret at all', () => {
    assert.throws(() => signedHeaders([], 'msg_1', now(), body));
  });
});
