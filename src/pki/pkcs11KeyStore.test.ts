import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign as nodeSign, randomBytes, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import pkcs11js from 'pkcs11js';
import { requireTools, runTool } from '../../test/peers/pdfValidators.ts';
import {
  createSoftHsmToken,
  listTokenObjects,
  objectsLabelled,
  requireSoftHsm,
  type SoftHsmToken,
  softHsmMissing,
} from '../../test/peers/softHsm.ts';
import type { Pkcs11Config } from '../config/config.ts';
import { SignetError } from '../errors.ts';
import { certificatePem } from './devCa.ts';
import { issueCertificate, KeyUsage } from './issue.ts';
import {
  ecdsaSignatureToDer,
  ecPointFromAttribute,
  openPkcs11KeyStore,
  type Pkcs11KeyStore,
} from './pkcs11KeyStore.ts';
import type { SignatureAlgorithm } from './signer.ts';

const ALGORITHMS: SignatureAlgorithm[] = ['rsa-sha256', 'ecdsa-p256-sha256'];

function verifies(spki: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  // dsaEncoding 'der' is the default; spelled out because r‖s must not pass here.
  return verify('sha256', data, { key, dsaEncoding: 'der' }, signature);
}

/**
 * Looks at the token through a second, independent pkcs11js handle, as another part of the same
 * application would (object handles and login are per application, PKCS#11 §6.7).
 */
async function inspectToken<T>(
  config: Pkcs11Config,
  look: (pkcs11: pkcs11js.PKCS11, session: Buffer) => T,
): Promise<T> {
  const pkcs11 = new pkcs11js.PKCS11();
  pkcs11.load(config.module);
  let initialised = true;
  try {
    pkcs11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (
      !(error instanceof pkcs11js.Pkcs11Error) ||
      error.code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED
    ) {
      throw error;
    }
    initialised = false;
  }
  try {
    const slot = pkcs11
      .C_GetSlotList(true)
      .find((candidate) => pkcs11.C_GetTokenInfo(candidate).label.trimEnd() === config.tokenLabel);
    assert.ok(slot, 'the test token is present');
    const session = pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      try {
        pkcs11.C_Login(session, pkcs11js.CKU_USER, config.pin);
      } catch (error) {
        if (!(error instanceof pkcs11js.Pkcs11Error) || error.code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) {
          throw error;
        }
      }
      return look(pkcs11, session);
    } finally {
      pkcs11.C_CloseSession(session);
    }
  } finally {
    if (initialised) pkcs11.C_Finalize();
    pkcs11.close();
  }
}

function findObjects(pkcs11: pkcs11js.PKCS11, session: Buffer, template: pkcs11js.Template): Buffer[] {
  pkcs11.C_FindObjectsInit(session, template);
  try {
    return pkcs11.C_FindObjects(session, 100);
  } finally {
    pkcs11.C_FindObjectsFinal(session);
  }
}

function pkcs11ErrorCode(action: () => unknown): number | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    return error instanceof pkcs11js.Pkcs11Error ? error.code : -1;
  }
}

const CLI = fileURLToPath(new URL('../../bin/signet.mjs', import.meta.url));

/** Runs the `signet` command in a child process with only the given configuration (plus SOFTHSM2_CONF). */
function runCli(args: string[], env: Record<string, string>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: tmpdir(), // no ./.env from the checkout
      env: { PATH: process.env.PATH ?? '', SOFTHSM2_CONF: process.env.SOFTHSM2_CONF ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('ECDSA signature encoding for CKM_ECDSA output', () => {
  it('turns raw r‖s from any P-256 signer into a DER ECDSA-Sig-Value that verifies', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
    // Enough signatures that some have r or s with the high bit set, and some with a leading zero.
    for (let i = 0; i < 64; i++) {
      const data = randomBytes(32);
      const raw = nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      assert.ok(verifies(spki, data, ecdsaSignatureToDer(raw)));
    }
  });

  it('encodes integers minimally: leading zeros dropped, a zero octet added before a set high bit', () => {
    const cases = [
      { r: `${'00'.repeat(31)}01`, s: `80${'00'.repeat(31)}`, der: `3026020101022100 80${'00'.repeat(31)}` },
      {
        r: `007f${'11'.repeat(30)}`,
        s: `7f${'22'.repeat(31)}`,
        der: `3043 021f 7f${'11'.repeat(30)} 0220 7f${'22'.repeat(31)}`,
      },
      {
        r: `0080${'11'.repeat(30)}`,
        s: `ff${'22'.repeat(31)}`,
        der: `3045 0220 0080${'11'.repeat(30)} 0221 00ff${'22'.repeat(31)}`,
      },
    ];
    for (const { r, s, der } of cases) {
      const encoded = Buffer.from(ecdsaSignatureToDer(Buffer.from(r + s, 'hex'))).toString('hex');
      assert.equal(encoded, der.replaceAll(' ', ''));
    }
  });

  it('accepts CKA_EC_POINT as a DER OCTET STRING or as the bare uncompressed point', () => {
    const point = Buffer.concat([Buffer.from([4]), randomBytes(64)]);
    assert.deepEqual(ecPointFromAttribute(Buffer.concat([Buffer.from([0x04, 0x41]), point])), point);
    assert.deepEqual(ecPointFromAttribute(point), point);
    assert.throws(() => ecPointFromAttribute(point.subarray(0, 33)), /uncompressed P-256 point/);
  });
});

describe('PKCS#11 key store on a SoftHSM2 token', { concurrency: false }, () => {
  let token: SoftHsmToken;
  let store: Pkcs11KeyStore;
  const skipReason = softHsmMissing();

  before(async () => {
    if (skipReason) return;
    token = await createSoftHsmToken();
    store = await openPkcs11KeyStore(token.config);
  });
  after(async () => {
    await store?.close();
    await token?.cleanup();
  });

  for (const algorithm of ALGORITHMS) {
    it(`generates a ${algorithm} key in the token whose signatures verify against the returned SPKI`, async (t) => {
      if (!requireSoftHsm(t)) return;
      const stored = await store.generate(`sign-${algorithm}`, algorithm);
      assert.equal(stored.key.signatureAlgorithm, algorithm);
      const details = createPublicKey({
        key: Buffer.from(stored.publicKey),
        format: 'der',
        type: 'spki',
      }).asymmetricKeyDetails;
      if (algorithm === 'rsa-sha256') {
        assert.equal(details?.modulusLength, 2048);
        assert.equal(details?.publicExponent, 65537n);
      } else {
        assert.equal(details?.namedCurve, 'prime256v1');
      }
      const data = randomBytes(300);
      const signature = await stored.key.sign(data);
      assert.ok(verifies(stored.publicKey, data, signature));
      assert.equal(verifies(stored.publicKey, randomBytes(300), signature), false);
    });
  }

  it('generates a larger RSA key when asked (3072 bits for a long-lived CA)', async (t) => {
    if (!requireSoftHsm(t)) return;
    const stored = await store.generate('rsa-3072', 'rsa-sha256', { rsaModulusLength: 3072 });
    const spki = createPublicKey({ key: Buffer.from(stored.publicKey), format: 'der', type: 'spki' });
    assert.equal(spki.asymmetricKeyDetails?.modulusLength, 3072);
    const data = randomBytes(64);
    assert.ok(verifies(stored.publicKey, data, await stored.key.sign(data)));
  });

  it('refuses to generate a key under a label the token already holds', async (t) => {
    if (!requireSoftHsm(t)) return;
    await store.generate('taken', 'ecdsa-p256-sha256');
    await assert.rejects(store.generate('taken', 'rsa-sha256'), { code: 'KEY_LABEL_TAKEN' });
    const [first, second] = await Promise.allSettled([
      store.generate('raced', 'ecdsa-p256-sha256'),
      store.generate('raced', 'ecdsa-p256-sha256'),
    ]);
    assert.equal(first?.status, 'fulfilled');
    assert.equal(second?.status, 'rejected');
  });

  it('issues certificates with token keys that openssl verify accepts (RSA root, P-256 end entity)', async (t) => {
    if (!requireSoftHsm(t) || !requireTools(t, ['openssl'])) return;
    const root = await store.generate('cert-root', 'rsa-sha256');
    const leaf = await store.generate('cert-leaf', 'ecdsa-p256-sha256');
    const notBefore = new Date(Date.now() - 60_000);
    const notAfter = new Date(Date.now() + 86_400_000);
    const rootCertificate = await issueCertificate(
      {
        subject: { commonName: 'Signet HSM Test Root', organization: 'Signet' },
        subjectPublicKey: root.publicKey,
        notBefore,
        notAfter,
        ca: { pathLength: 0 },
        keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign],
      },
      { key: root.key },
    );
    const leafCertificate = await issueCertificate(
      {
        subject: { commonName: 'Signet HSM Test Seal', organization: 'Signet' },
        subjectPublicKey: leaf.publicKey,
        notBefore,
        notAfter,
        keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation],
      },
      { certificate: rootCertificate, key: root.key },
    );
    const dir = await mkdtemp(join(tmpdir(), 'signet-hsm-certs-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'root.pem'), certificatePem(rootCertificate));
    await writeFile(join(dir, 'leaf.pem'), certificatePem(leafCertificate));
    const result = await runTool('openssl', [
      'verify',
      '-x509_strict',
      '-CAfile',
      join(dir, 'root.pem'),
      join(dir, 'leaf.pem'),
    ]);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /leaf\.pem: OK/);
  });

  it('keeps private keys in the token: not readable, sensitive, never extractable', async (t) => {
    if (!requireSoftHsm(t)) return;
    await store.generate('locked-rsa', 'rsa-sha256');
    await store.generate('locked-ec', 'ecdsa-p256-sha256');
    const attributes = await inspectToken(token.config, (pkcs11, session) =>
      ['locked-rsa', 'locked-ec'].map((label) => {
        const [key] = findObjects(pkcs11, session, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
          { type: pkcs11js.CKA_LABEL, value: label },
        ]);
        assert.ok(key, `private key ${label} is on the token`);
        const flags = pkcs11.C_GetAttributeValue(session, key, [
          { type: pkcs11js.CKA_TOKEN },
          { type: pkcs11js.CKA_PRIVATE },
          { type: pkcs11js.CKA_SENSITIVE },
          { type: pkcs11js.CKA_EXTRACTABLE },
          { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
          { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
        ]);
        const secret = label === 'locked-rsa' ? pkcs11js.CKA_PRIVATE_EXPONENT : pkcs11js.CKA_VALUE;
        return {
          flags: flags.map(({ value }) => value[0] === 1),
          readSecret: pkcs11ErrorCode(() => pkcs11.C_GetAttributeValue(session, key, [{ type: secret }])),
        };
      }),
    );
    for (const { flags, readSecret } of attributes) {
      assert.deepEqual(flags, [true, true, true, false, true, true]);
      assert.equal(readSecret, pkcs11js.CKR_ATTRIBUTE_SENSITIVE);
    }

    // The same, as an independent PKCS#11 application (OpenSC) reports it.
    const listing = await listTokenObjects(token);
    for (const label of ['locked-rsa', 'locked-ec']) {
      const privateKey = objectsLabelled(listing, label).find((o) => o.startsWith('Private Key Object'));
      assert.ok(privateKey, `pkcs11-tool lists the private key ${label}`);
      assert.match(privateKey, /Access:\s+sensitive, always sensitive, never extractable, local/);
      assert.match(privateKey, /Usage:\s+sign\s*$/m);
    }
  });

  it('finds a stored key by label after the store is closed and opened again', async (t) => {
    if (!requireSoftHsm(t)) return;
    const generated = await Promise.all([
      store.generate('persistent-rsa', 'rsa-sha256'),
      store.generate('persistent-ec', 'ecdsa-p256-sha256'),
    ]);
    await store.close();
    store = await openPkcs11KeyStore(token.config);
    for (const original of generated) {
      const reopened = await store.open(original.label);
      assert.ok(reopened, `${original.label} is found again`);
      assert.equal(reopened.key.signatureAlgorithm, original.key.signatureAlgorithm);
      assert.deepEqual(reopened.publicKey, original.publicKey);
      const data = randomBytes(100);
      assert.ok(verifies(original.publicKey, data, await reopened.key.sign(data)));
    }
    assert.equal(await store.open('never-generated'), undefined);
    const labels = await store.list();
    assert.ok(labels.includes('persistent-rsa') && labels.includes('persistent-ec'));
  });

  it('makes one-time keys as session objects that destroy() removes from the token', async (t) => {
    if (!requireSoftHsm(t)) return;
    const sessionKeys = () =>
      inspectToken(token.config, (pkcs11, session) =>
        findObjects(pkcs11, session, [{ type: pkcs11js.CKA_TOKEN, value: false }]),
      );
    const before = (await sessionKeys()).length;
    const ephemeral = await Promise.all(ALGORITHMS.map((algorithm) => store.generateEphemeral(algorithm)));
    assert.equal((await sessionKeys()).length, before + 4, 'both halves of both keys exist while in use');
    for (const one of ephemeral) {
      const data = randomBytes(64);
      assert.ok(verifies(one.publicKey, data, await one.key.sign(data)));
    }
    // Never persistent: another application (and a restart) sees nothing of them.
    assert.deepEqual(objectsLabelled(await listTokenObjects(token), 'signet-ephemeral'), []);

    await Promise.all(ephemeral.map((one) => one.destroy()));
    assert.equal((await sessionKeys()).length, before, 'destroyed keys are gone');
    await Promise.all(ephemeral.map((one) => one.destroy())); // idempotent
    await assert.rejects(ephemeral[0]?.key.sign(randomBytes(8)) ?? Promise.resolve(), {
      code: 'KEY_DESTROYED',
    });
  });

  it('signs 50 requests at once, RSA and P-256 interleaved, and every signature verifies', async (t) => {
    if (!requireSoftHsm(t)) return;
    const keys = await Promise.all([
      store.generate('concurrent-rsa', 'rsa-sha256'),
      store.generate('concurrent-ec', 'ecdsa-p256-sha256'),
    ]);
    const jobs = Array.from({ length: 50 }, (_, i) => ({ key: keys[i % 2]!, data: randomBytes(200 + i) }));
    const signatures = await Promise.all(jobs.map(({ key, data }) => key.key.sign(data)));
    jobs.forEach(({ key, data }, i) => {
      assert.ok(verifies(key.publicKey, data, signatures[i]!), `signature ${i} verifies`);
    });
  });

  it('lists the labels of the token keys with `signet hsm-keys`, from another process', async (t) => {
    if (!requireSoftHsm(t)) return;
    const result = await runCli(['hsm-keys'], {
      PKCS11_MODULE: token.config.module,
      PKCS11_TOKEN_LABEL: token.config.tokenLabel,
      PKCS11_PIN: token.config.pin,
    });
    assert.equal(result.status, 0, result.stderr);
    const listed = JSON.parse(result.stdout) as { token: string; keys: string[] };
    assert.equal(listed.token, 'signet-test');
    assert.deepEqual(listed.keys, await store.list());
    assert.ok(listed.keys.includes('persistent-rsa'));

    const wrongPin = await runCli(['hsm-keys'], {
      PKCS11_MODULE: token.config.module,
      PKCS11_TOKEN_LABEL: token.config.tokenLabel,
      PKCS11_PIN: '55555555',
    });
    assert.equal(wrongPin.status, 1);
    assert.match(wrongPin.stderr, /PKCS11_LOGIN_FAILED: cannot log in to PKCS#11 token "signet-test"/);
    assert.equal(wrongPin.stderr.includes('55555555'), false);
  });

  it('lets running signatures finish on close and refuses new ones after', async (t) => {
    if (!requireSoftHsm(t)) return;
    const own = await openPkcs11KeyStore(token.config);
    const key = await own.generateEphemeral('rsa-sha256');
    const data = randomBytes(32);
    const running = Array.from({ length: 8 }, () => key.key.sign(data));
    const closed = own.close();
    for (const signature of await Promise.all(running)) assert.ok(verifies(key.publicKey, data, signature));
    await closed;
    await assert.rejects(key.key.sign(data), { code: 'KEYSTORE_CLOSED' });
    // The shared store still works: closing one store does not log out or finalise for another.
    const stillOpen = await store.open('persistent-ec');
    assert.ok(stillOpen && verifies(stillOpen.publicKey, data, await stillOpen.key.sign(data)));
  });
});

describe('opening a PKCS#11 token that cannot be used', () => {
  let token: SoftHsmToken;
  const skipReason = softHsmMissing();
  before(async () => {
    if (skipReason) return;
    token = await createSoftHsmToken('signet-errors', '4321');
  });
  after(() => token?.cleanup());

  async function openingFails(t: TestContext, config: Pkcs11Config): Promise<SignetError | undefined> {
    if (!requireSoftHsm(t)) return undefined;
    try {
      const store = await openPkcs11KeyStore(config);
      await store.close();
    } catch (error) {
      assert.ok(error instanceof SignetError, String(error));
      return error;
    }
    assert.fail('the store opened');
  }

  it('names the token and keeps the PIN out of the message when the PIN is wrong', async (t) => {
    const wrongPin = '98765432';
    const error = await openingFails(t, { ...token.config, pin: wrongPin });
    if (!error) return;
    assert.equal(error.code, 'PKCS11_LOGIN_FAILED');
    assert.match(error.message, /token "signet-errors": the PIN was refused \(CKR_PIN_INCORRECT\)/);
    for (const pin of [wrongPin, token.config.pin]) assert.equal(error.message.includes(pin), false);
    assert.equal(JSON.stringify(error).includes(wrongPin), false);
  });

  it('names the missing token label and the tokens that are present', async (t) => {
    const error = await openingFails(t, { ...token?.config, tokenLabel: 'no-such-token' } as Pkcs11Config);
    if (!error) return;
    assert.equal(error.code, 'PKCS11_TOKEN_NOT_FOUND');
    assert.match(
      error.message,
      /no PKCS#11 token labelled "no-such-token" .*tokens present: "signet-errors"/,
    );
    assert.equal(error.message.includes(token.config.pin), false);
  });

  it('names the module path when the module cannot be loaded', async (t) => {
    const error = await openingFails(t, {
      ...token?.config,
      module: '/nonexistent/libpkcs11.so',
    } as Pkcs11Config);
    if (!error) return;
    assert.equal(error.code, 'PKCS11_MODULE_UNAVAILABLE');
    assert.match(error.message, /\/nonexistent\/libpkcs11\.so/);
  });

  it('can open the token with the right PIN after a refused one', async (t) => {
    if (!requireSoftHsm(t)) return;
    const store = await openPkcs11KeyStore(token.config);
    assert.deepEqual(await store.list(), []);
    await store.close();
  });
});
