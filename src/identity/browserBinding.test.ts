import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newBrowserBinding, presentedByBrowser, roundTripCookie } from './browserBinding.ts';

const ORG = '5b0c7f2e-8d1a-4b7e-9a51-3c2f6d9e8a10';

describe('binding a round trip to the browser that started it', () => {
  it('keeps only a hash of a fresh 256-bit nonce, and accepts exactly that nonce back', () => {
    const binding = newBrowserBinding();
    assert.match(binding.nonce, /^[A-Za-z0-9_-]{43}$/);
    assert.match(binding.hash, /^[0-9a-f]{64}$/);
    assert.ok(!binding.hash.includes(binding.nonce));
    assert.notEqual(newBrowserBinding().nonce, binding.nonce);
    assert.equal(presentedByBrowser(binding.hash, binding.nonce), true);
    assert.equal(presentedByBrowser(binding.hash, newBrowserBinding().nonce), false, 'another nonce');
    assert.equal(presentedByBrowser(binding.hash, undefined), false, 'no cookie');
    assert.equal(presentedByBrowser(binding.hash, ''), false, 'an empty cookie');
    assert.equal(presentedByBrowser(binding.hash, binding.hash), false, 'the hash itself');
    assert.equal(presentedByBrowser(null, binding.nonce), false, 'a request kept no hash');
  });

  it('over https: SAML’s cookie is SameSite=None (its answer is a cross-site POST), OpenID Connect’s Lax; both Secure and HttpOnly', () => {
    const saml = roundTripCookie('https://sign.example.com', 'saml', ORG);
    assert.deepEqual(saml, {
      name: 'signet_saml_round_trip',
      options: { path: `/saml/${ORG}/acs`, httpOnly: true, secure: true, sameSite: 'none' },
    });
    const oidc = roundTripCookie('https://sign.example.com', 'oidc', ORG);
    assert.deepEqual(oidc, {
      name: 'signet_oidc_round_trip',
      options: { path: `/oidc/${ORG}/callback`, httpOnly: true, secure: true, sameSite: 'lax' },
    });
  });

  it('over plain http: not Secure, so Lax for both (browsers refuse SameSite=None without Secure)', () => {
    for (const protocol of ['saml', 'oidc'] as const) {
      const { options } = roundTripCookie('http://127.0.0.1:8080', protocol, ORG);
      assert.equal(options.secure, false);
      assert.equal(options.sameSite, 'lax');
    }
  });

  it('is sent only to the endpoint that reads it, under the path PUBLIC_URL is served from', () => {
    assert.equal(
      roundTripCookie('https://example.com/signet', 'saml', ORG).options.path,
      `/signet/saml/${ORG}/acs`,
    );
  });
});
