import assert from 'node:assert/strict';
import {
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  verify,
  X509Certificate,
} from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSpKeyPair } from '../../src/identity/saml/index.ts';
import { loadSealingRootPem } from '../../src/main.ts';
import { DEV_PKI_KEY_LABELS } from '../../src/pki/devCa.ts';
import { filesUnder, findPlaintextPrivateKeys } from '../support/plaintextKeys.ts';
import { databaseKinds, startTestSignet, type TestSignet } from '../support/signetHarness.ts';

/*
 * Security issue "Keys on disk": without a PKCS#11 token the CA, sealing, TSA, OCSP and SAML SP
 * private keys live under DATA_DIR, and must be there only encrypted under the master key —
 * so a backup or a copy of the data directory does not hand out the keys. Checked on a real
 * start, by reading every file under DATA_DIR (the database's own files included).
 */

/** The SP key pair is made on first use; asking for the SP metadata is such a use. */
async function spMetadata(signet: TestSignet): Promise<string> {
  const response = await fetch(`${signet.url}/saml/${randomUUID()}/metadata`);
  assert.equal(response.status, 200);
  return response.text();
}

const data = new TextEncoder().encode('keys at rest');

for (const kind of databaseKinds()) {
  describe(`private keys at rest after a start on ${kind}`, () => {
    let signet: TestSignet;

    before(async () => {
      signet = await startTestSignet(kind);
      await spMetadata(signet);
    });
    after(() => signet?.stop());

    it('leaves no private key in plaintext anywhere under DATA_DIR', async () => {
      const dataDir = signet.platform.config.dataDir;
      const keyFiles = (await filesUnder(dataDir)).filter((file) => /\.key\.[a-z]+$/.test(file));
      // Five CA/seal/TSA/OCSP keys and the SAML SP key: the scan below looked at real key files.
      assert.equal(keyFiles.length, 6, keyFiles.join('\n'));
      assert.deepEqual(await findPlaintextPrivateKeys(dataDir), []);
    });

    it('still seals with the key it stored encrypted', async () => {
      const sealing = signet.platform.pki.sealing;
      const signature = await sealing.sign(data);
      const certified = new X509Certificate(sealing.certificate).publicKey;
      assert.ok(verify('sha256', data, certified, signature));
    });

    it('reads the keys back under the same master key and refuses another one by name', async () => {
      const config = signet.platform.config;
      assert.equal(await loadSealingRootPem(config), signet.platform.pki.rootPem);

      const other = { ...config, masterKey: randomBytes(32) };
      await assert.rejects(loadSealingRootPem(other), (error: Error & { code?: string; detail?: string }) => {
        assert.equal(error.code, 'KEY_DECRYPTION_FAILED');
        assert.match(error.detail ?? '', /signet-root-ca/);
        assert.match(error.detail ?? '', /master key/);
        assert.doesNotMatch(error.message, /PRIVATE KEY|MII/);
        return true;
      });
    });
  });

  describe(`an installation whose keys an earlier version wrote in plaintext, on ${kind}`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'signet-plaintext-keys-'));
    const rootKeyPem = plaintextRsaKey();
    const sp = createSpKeyPair('Signet SAML Service Provider');
    let signet: TestSignet;

    before(async () => {
      // The layout earlier versions left: PKCS#8 PEM files, one per label.
      mkdirSync(join(dataDir, 'keys'), { mode: 0o700 });
      for (const label of Object.values(DEV_PKI_KEY_LABELS)) {
        const pem = label === DEV_PKI_KEY_LABELS.root ? rootKeyPem : plaintextRsaKey();
        writeFileSync(join(dataDir, 'keys', `${label}.key.pem`), pem, { mode: 0o600 });
      }
      mkdirSync(join(dataDir, 'pki', 'keys'), { recursive: true });
      writeFileSync(join(dataDir, 'pki', 'keys', 'signet-saml-sp.key.pem'), sp.privateKeyPem, {
        mode: 0o600,
      });
      writeFileSync(join(dataDir, 'pki', 'saml-sp.crt.pem'), sp.certificatePem);
      assert.notDeepEqual(await findPlaintextPrivateKeys(dataDir), []);

      signet = await startTestSignet(kind, { DATA_DIR: dataDir });
    });
    after(async () => {
      await signet?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('encrypts them at the first start, with no step by the operator, and keeps using them', async () => {
      const metadata = await spMetadata(signet);
      assert.deepEqual(await findPlaintextPrivateKeys(dataDir), []);
      // The same keys: the root certificate certifies the old root key; the SP still publishes
      // its certificate.
      const root = new X509Certificate(signet.platform.pki.rootPem);
      assert.ok(root.publicKey.equals(createPublicKey(rootKeyPem)));
      const spCertificateBody = sp.certificatePem.replace(/-----[^-]+-----|\s/g, '');
      assert.ok(metadata.replace(/\s/g, '').includes(spCertificateBody));
    });
  });
}

function plaintextRsaKey(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
