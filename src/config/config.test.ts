import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration from the environment', () => {
  it('has working defaults for the embedded mode', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.dataDir, './data');
    assert.equal(config.publicUrl, 'http://localhost:3000');
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.maxUploadBytes, 50 * 1024 * 1024);
    assert.equal(config.devMode, true);
  });

  it('listens on the loopback interface only, unless HOST names another', () => {
    // Security issue: a default install must not offer its development conveniences to a network.
    assert.equal(loadConfig({}).host, '127.0.0.1');
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).host, '0.0.0.0');
  });

  it('reports every bad value at once, by variable name, without echoing secrets', () => {
    const secret = 'c2VjcmV0LWJ1dC10b28tc2hvcnQ=';
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SMTP_URL: 'http://mail', MASTER_KEY: secret });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const vars = error.problems.map((p) => p.split(':')[0]).sort();
      assert.deepEqual(vars, ['DATABASE_URL', 'MASTER_KEY', 'PORT', 'SMTP_URL']);
      assert.ok(!error.message.includes(secret));
    }
  });

  it('limits 600 API requests a minute per key and 1200 per address on public routes, counting in Redis only when REDIS_URL is set', () => {
    const defaults = loadConfig({});
    assert.deepEqual(defaults.rateLimits, { apiPerMinute: 600, publicPerMinute: 1200 });
    assert.equal(defaults.redis, undefined);
    const configured = loadConfig({
      REDIS_URL: 'rediss://:s3cret@redis.internal:6380/2',
      REDIS_KEY_PREFIX: 'acme:',
      RATE_LIMIT_API_PER_MINUTE: '6000',
      RATE_LIMIT_PUBLIC_PER_MINUTE: '300',
    });
    assert.deepEqual(configured.redis, { url: 'rediss://:s3cret@redis.internal:6380/2', keyPrefix: 'acme:' });
    assert.deepEqual(configured.rateLimits, { apiPerMinute: 6000, publicPerMinute: 300 });
    assert.equal(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redis?.keyPrefix, 'signet:');
  });

  it('refuses a REDIS_URL that is not redis:// or rediss://, and limits that are not positive whole numbers, without echoing the URL', () => {
    try {
      loadConfig({
        REDIS_URL: 'http://:s3cret@redis.internal',
        RATE_LIMIT_API_PER_MINUTE: '0',
        RATE_LIMIT_PUBLIC_PER_MINUTE: '1.5',
      });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const vars = error.problems.map((p) => p.split(':')[0]).sort();
      assert.deepEqual(vars, ['RATE_LIMIT_API_PER_MINUTE', 'RATE_LIMIT_PUBLIC_PER_MINUTE', 'REDIS_URL']);
      assert.ok(!error.message.includes('s3cret'));
    }
  });

  it('requires a master key in production', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        return error.problems.some((p) => p.startsWith('MASTER_KEY'));
      },
    );
    const key = Buffer.alloc(32, 7).toString('base64');
    const config = loadConfig({ NODE_ENV: 'production', MASTER_KEY: key });
    assert.equal(config.devMode, false);
    assert.equal(config.masterKey?.length, 32);
  });

  it('treats empty variables as unset and trims a trailing slash from PUBLIC_URL', () => {
    const config = loadConfig({ PORT: '', PUBLIC_URL: 'https://sign.example.com/' });
    assert.equal(config.port, 3000);
    assert.equal(config.publicUrl, 'https://sign.example.com');
  });

  it('takes a PKCS#11 token from PKCS11_MODULE, PKCS11_TOKEN_LABEL and PKCS11_PIN together', () => {
    assert.equal(loadConfig({}).pkcs11, undefined);
    const config = loadConfig({
      PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so',
      PKCS11_TOKEN_LABEL: 'signet',
      PKCS11_PIN: '1234',
    });
    assert.deepEqual(config.pkcs11, {
      module: '/usr/lib/softhsm/libsofthsm2.so',
      tokenLabel: 'signet',
      pin: '1234',
    });
  });

  it('refuses part of a PKCS#11 configuration, naming what is missing and not echoing the PIN', () => {
    const pin = 'pin-that-must-not-leak';
    try {
      loadConfig({ PKCS11_TOKEN_LABEL: 'signet', PKCS11_PIN: pin });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        'PKCS11_MODULE: required when PKCS11_TOKEN_LABEL and PKCS11_PIN are set',
      ]);
      assert.ok(!error.message.includes(pin));
    }
    assert.throws(
      () => loadConfig({ PKCS11_MODULE: '/lib/x.so' }),
      /PKCS11_PIN: required when PKCS11_MODULE is set/,
    );
    assert.throws(
      () => loadConfig({ PKCS11_MODULE: '/lib/x.so', PKCS11_TOKEN_LABEL: 'x'.repeat(33), PKCS11_PIN: '1' }),
      /PKCS11_TOKEN_LABEL: at most 32 bytes/,
    );
  });

  it('seals with a stored key and its imported chain under SEAL_KEY_LABEL, or a PKCS#12 file, never both', () => {
    assert.equal(loadConfig({}).sealKeyLabel, undefined);
    assert.equal(loadConfig({ SEAL_KEY_LABEL: 'acme-seal-2027' }).sealKeyLabel, 'acme-seal-2027');
    assert.throws(
      () =>
        loadConfig({
          SEAL_KEY_LABEL: 'acme-seal',
          SEAL_PKCS12_PATH: '/etc/seal.p12',
          SEAL_PKCS12_PASSWORD: 'x',
        }),
      /SEAL_KEY_LABEL: seal with a PKCS#12 file \(SEAL_PKCS12_PATH\) or a stored key, not both/,
    );
  });

  it('takes the offline root passphrase from OFFLINE_CA_PASSPHRASE, for `signet ca` on the offline machine', () => {
    assert.equal(loadConfig({}).offlineCaPassphrase, undefined);
    assert.equal(
      loadConfig({ OFFLINE_CA_PASSPHRASE: 'a long passphrase' }).offlineCaPassphrase,
      'a long passphrase',
    );
  });

  it('takes TSAs from TSA_URLS in order, defaulting to the built-in TSA and a 10 s timeout', () => {
    const defaults = loadConfig({});
    assert.deepEqual(defaults.tsaUrls, []);
    assert.equal(defaults.tsaTimeoutMs, 10_000);
    const configured = loadConfig({
      TSA_URLS: ' https://tsa.one.example/tsr , http://tsa.two.example ',
      TSA_TIMEOUT_MS: '2500',
    });
    assert.deepEqual(configured.tsaUrls, ['https://tsa.one.example/tsr', 'http://tsa.two.example']);
    assert.equal(configured.tsaTimeoutMs, 2500);
    assert.throws(() => loadConfig({ TSA_URLS: 'https://ok.example,ftp://no.example' }), /TSA_URLS/);
  });

  it('issues certificates under the development policy and organisation, with year-long signer certificates kept after use, unless PKI_* and SIGNER_CERT_* say otherwise', () => {
    const defaults = loadConfig({});
    assert.deepEqual(defaults.certificateProfile, {
      policyOid: '2.25.121976768450177053882281100737692893257.2',
      organization: 'Signet Development',
    });
    assert.deepEqual(defaults.signerCertificates, { validityDays: 365, revokeAfterUse: false });
    const configured = loadConfig({
      PKI_POLICY_OID: ' 1.3.6.1.4.1.99999.7.1 ',
      PKI_ORGANIZATION: 'Acme Trust Services GmbH',
      PKI_COUNTRY: 'de',
      SIGNER_CERT_VALIDITY_DAYS: '30',
      SIGNER_CERT_REVOKE_AFTER_USE: 'true',
    });
    assert.deepEqual(configured.certificateProfile, {
      policyOid: '1.3.6.1.4.1.99999.7.1',
      organization: 'Acme Trust Services GmbH',
      country: 'DE',
    });
    assert.deepEqual(configured.signerCertificates, { validityDays: 30, revokeAfterUse: true });
  });

  it('refuses a policy that is no OID, a country that is no ISO 3166 code, an organisation too long for a CA name and a signer certificate of no days', () => {
    try {
      loadConfig({
        PKI_POLICY_OID: '1.3.6.1.4.1.099',
        PKI_COUNTRY: 'Germany',
        PKI_ORGANIZATION: 'A'.repeat(41),
        SIGNER_CERT_VALIDITY_DAYS: '0',
      });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const vars = error.problems.map((p) => p.split(':')[0]).sort();
      assert.deepEqual(vars, [
        'PKI_COUNTRY',
        'PKI_ORGANIZATION',
        'PKI_POLICY_OID',
        'SIGNER_CERT_VALIDITY_DAYS',
      ]);
    }
    for (const oid of ['1.40.5', '3.1', '2', '1.3..6', 'urn:oid:1.3.6']) {
      assert.throws(() => loadConfig({ PKI_POLICY_OID: oid }), /PKI_POLICY_OID/, oid);
    }
    assert.equal(loadConfig({ PKI_POLICY_OID: '2.999.1' }).certificateProfile.policyOid, '2.999.1');
  });

  it('believes X-Forwarded-For only from the proxies or hop count TRUST_PROXY names, never from everyone', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.7,loopback' }).trustProxy, [
      '10.0.0.0/8',
      '192.0.2.7',
      'loopback',
    ]);
    assert.throws(() => loadConfig({ TRUST_PROXY: 'true' }), /TRUST_PROXY: trusting every client is unsafe/);
    assert.throws(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' }), /TRUST_PROXY: not an address/);
    assert.throws(() => loadConfig({ TRUST_PROXY: 'proxy.internal' }), /TRUST_PROXY: not an address/);
  });

  it('gives heavy PDF work one worker per core but one, and limits that can be raised', () => {
    const defaults = loadConfig({});
    assert.ok(defaults.pdfWork.threads >= 1);
    assert.deepEqual(defaults.pdfWork.limits, {
      maxStreamBytes: 32 * 1024 * 1024,
      maxInflatedBytes: 128 * 1024 * 1024,
      maxObjects: 2_000_000,
      maxRevisions: 64,
    });
    const raised = loadConfig({
      PDF_WORKERS: '3',
      PDF_MAX_OBJECTS: '5000000',
      PDF_WORK_TIMEOUT_SECONDS: '5',
    });
    assert.equal(raised.pdfWork.threads, 3);
    assert.equal(raised.pdfWork.limits.maxObjects, 5_000_000);
    assert.equal(raised.pdfWork.timeoutMs, 5000);
  });

  it('refuses internal networks to tenant URLs unless OUTBOUND_* allow them, listing CIDRs canonically', () => {
    assert.deepEqual(loadConfig({}).outbound, { allowPrivateNetworks: false, allowedNetworks: [] });
    const configured = loadConfig({
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
      OUTBOUND_ALLOWED_NETWORKS: ' 10.0.0.0/8, 127.0.0.1 ,fd00::/8',
    });
    assert.deepEqual(configured.outbound, {
      allowPrivateNetworks: true,
      allowedNetworks: ['10.0.0.0/8', '127.0.0.1/32', 'fd00::/8'],
    });
    assert.throws(
      () => loadConfig({ OUTBOUND_ALLOWED_NETWORKS: '10.0.0.0/8,intranet.example/24' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.startsWith('OUTBOUND_ALLOWED_NETWORKS:')) &&
        !error.message.includes('intranet'),
    );
    assert.throws(
      () => loadConfig({ OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'maybe' }),
      /OUTBOUND_ALLOW_PRIVATE_NETWORKS/,
    );
  });

  it('keeps webhook endpoints on public addresses unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true, apart from OUTBOUND_*', () => {
    assert.deepEqual(loadConfig({}).webhooks, { allowPrivateNetworks: false });
    assert.deepEqual(loadConfig({ OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' }).webhooks, {
      allowPrivateNetworks: false,
    });
    assert.deepEqual(loadConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' }).webhooks, {
      allowPrivateNetworks: true,
    });
    assert.equal(
      loadConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' }).outbound.allowPrivateNetworks,
      false,
    );
    assert.throws(
      () => loadConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'sometimes' }),
      /WEBHOOKS_ALLOW_PRIVATE_NETWORKS/,
    );
  });
});
