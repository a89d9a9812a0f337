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
});
