import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFileKeyStore, type FileKeyStore } from './fileKeyStore.ts';

let dir: string;
let store: FileKeyStore;

before(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'signet-keys-')), 'keys');
  store = createFileKeyStore(dir);
});
after(() => rm(join(dir, '..'), { recursive: true, force: true }));

const publicKeyOf = (spki: Uint8Array) =>
  createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
const data = new TextEncoder().encode('to be signed');

describe('the file key store', () => {
  it('keeps a generated key as a PKCS#8 PEM readable by the owner only, in a directory only the owner may enter', async () => {
    const stored = await store.generate('signet-sealing', 'rsa-sha256');
    assert.deepEqual(await readdir(dir), ['signet-sealing.key.pem']);
    assert.equal((await stat(join(dir, 'signet-sealing.key.pem'))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal(publicKeyOf(stored.publicKey).asymmetricKeyDetails?.modulusLength, 2048);
  });

  it('opens the same key later, under its label', async () => {
    const opened = await store.open('signet-sealing');
    assert.ok(opened);
    const signature = await opened.key.sign(data);
    assert.ok(verify('sha256', data, publicKeyOf(opened.publicKey), signature));
    assert.equal(await store.open('no-such-key'), undefined);
  });

  it('refuses to generate over a label that is taken', async () => {
    await assert.rejects(store.generate('signet-sealing', 'rsa-sha256'), { code: 'KEY_LABEL_TAKEN' });
  });

  it('refuses labels that are not plain file names', async () => {
    for (const label of ['../escape', 'a/b', '', 'UPPER']) {
      await assert.rejects(store.generate(label, 'rsa-sha256'), { code: 'KEY_LABEL_INVALID' }, label);
    }
  });

  it('makes RSA-3072 keys when asked and P-256 keys for ECDSA', async () => {
    const ca = await store.generate('signet-root-ca', 'rsa-sha256', { rsaModulusLength: 3072 });
    assert.equal(publicKeyOf(ca.publicKey).asymmetricKeyDetails?.modulusLength, 3072);
    const ec = await store.generate('signet-ec', 'ecdsa-p256-sha256');
    assert.equal(ec.key.signatureAlgorithm, 'ecdsa-p256-sha256');
    assert.equal(publicKeyOf(ec.publicKey).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(verify('sha256', data, publicKeyOf(ec.publicKey), await ec.key.sign(data)));
  });

  it('keeps one-time keys in memory only, and they stop signing once destroyed', async () => {
    const before = (await readdir(dir)).sort();
    const ephemeral = await store.generateEphemeral('rsa-sha256');
    assert.ok(verify('sha256', data, publicKeyOf(ephemeral.publicKey), await ephemeral.key.sign(data)));
    assert.deepEqual((await readdir(dir)).sort(), before);
    await ephemeral.destroy();
    await ephemeral.destroy(); // idempotent
    await assert.rejects(ephemeral.key.sign(data), { code: 'KEY_DESTROYED' });
  });

  it('adopts an existing PEM key under a new label', async () => {
    const source = await store.open('signet-ec');
    assert.ok(source);
    const pem = await readFile(join(dir, 'signet-ec.key.pem'), 'utf8');
    const adopted = await store.importPem('signet-adopted', pem);
    assert.deepEqual(adopted.publicKey, source.publicKey);
    await assert.rejects(store.importPem('signet-adopted', pem), { code: 'KEY_LABEL_TAKEN' });
  });
});
