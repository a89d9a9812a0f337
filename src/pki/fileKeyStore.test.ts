import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findPlaintextPrivateKeys } from '../../test/support/plaintextKeys.ts';
import { masterKeyFrom } from '../blobs/blobStore.ts';
import { createFileKeyStore, type FileKeyStore, generatePrivateKey } from './fileKeyStore.ts';

let work: string;
let dir: string;
let store: FileKeyStore;
const masterKey = masterKeyFrom(randomBytes(32));

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-keys-'));
  dir = join(work, 'keys');
  store = createFileKeyStore(dir, masterKey);
});
after(() => rm(work, { recursive: true, force: true }));

const publicKeyOf = (spki: Uint8Array) =>
  createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
const data = new TextEncoder().encode('to be signed');

/** A PKCS#8 PEM in plaintext, as versions before the sealed key files wrote them. */
async function plaintextPem(): Promise<string> {
  return (await generatePrivateKey('rsa-sha256')).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A fresh key directory under the suite's folder. */
async function freshDir(name: string): Promise<string> {
  const path = join(work, name);
  await mkdir(path, { mode: 0o700 });
  return path;
}

describe('the file key store', () => {
  it('keeps a generated key encrypted under the master key, readable by the owner only, in a directory only the owner may enter', async () => {
    const stored = await store.generate('signet-sealing', 'rsa-sha256');
    assert.deepEqual(await readdir(dir), ['signet-sealing.key.sealed']);
    assert.equal((await stat(join(dir, 'signet-sealing.key.sealed'))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(await findPlaintextPrivateKeys(dir), []);
    assert.equal(publicKeyOf(stored.publicKey).asymmetricKeyDetails?.modulusLength, 2048);
  });

  it('opens the same key later, under its label, also from a new store with the same master key', async () => {
    for (const opener of [store, createFileKeyStore(dir, masterKey)]) {
      const opened = await opener.open('signet-sealing');
      assert.ok(opened);
      const signature = await opened.key.sign(data);
      assert.ok(verify('sha256', data, publicKeyOf(opened.publicKey), signature));
    }
    assert.equal(await store.open('no-such-key'), undefined);
  });

  it('refuses to open a key under another master key, naming the label and nothing of the key', async () => {
    const other = createFileKeyStore(dir, masterKeyFrom(randomBytes(32)));
    await assert.rejects(
      other.open('signet-sealing'),
      (error: Error & { code?: string; detail?: string }) => {
        assert.equal(error.code, 'KEY_DECRYPTION_FAILED');
        assert.match(error.detail ?? '', /"signet-sealing".*different master key/);
        assert.doesNotMatch(error.message, /PRIVATE KEY|MII/);
        return true;
      },
    );
  });

  it('refuses a key file that was altered', async () => {
    const altered = await freshDir('altered');
    await createFileKeyStore(altered, masterKey).generate('signet-tsa', 'rsa-sha256');
    const path = join(altered, 'signet-tsa.key.sealed');
    const sealed = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1;
    await writeFile(path, sealed.toString('base64'));
    await assert.rejects(createFileKeyStore(altered, masterKey).open('signet-tsa'), {
      code: 'KEY_DECRYPTION_FAILED',
      detail: /"signet-tsa".*(damaged|altered)/,
    });
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
    assert.deepEqual(await findPlaintextPrivateKeys(dir), []);
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

  it('adopts an existing PEM key under a new label, and keeps it encrypted', async () => {
    const pem = await plaintextPem();
    const adopted = await store.importPem('signet-adopted', pem);
    assert.ok(publicKeyOf(adopted.publicKey).equals(createPublicKey(pem)));
    await assert.rejects(store.importPem('signet-adopted', pem), { code: 'KEY_LABEL_TAKEN' });
    assert.deepEqual(await findPlaintextPrivateKeys(dir), []);
  });
});

describe('plaintext key files written by earlier versions', () => {
  it('are encrypted in place when the store is first used, every one of them, and keep their keys', async () => {
    const upgraded = await freshDir('upgraded');
    const pems = { 'signet-root-ca': await plaintextPem(), 'signet-ocsp': await plaintextPem() };
    for (const [label, pem] of Object.entries(pems)) {
      await writeFile(join(upgraded, `${label}.key.pem`), pem, { mode: 0o600 });
    }
    const upgradedStore = createFileKeyStore(upgraded, masterKey);

    const root = await upgradedStore.open('signet-root-ca');
    assert.ok(root && publicKeyOf(root.publicKey).equals(createPublicKey(pems['signet-root-ca'])));
    // The one not asked for is sealed too: nothing stays in plaintext until someone opens it.
    assert.deepEqual((await readdir(upgraded)).sort(), [
      'signet-ocsp.key.sealed',
      'signet-root-ca.key.sealed',
    ]);
    for (const name of await readdir(upgraded)) {
      assert.equal((await stat(join(upgraded, name))).mode & 0o777, 0o600, name);
    }
    assert.deepEqual(await findPlaintextPrivateKeys(upgraded), []);
    const ocsp = await createFileKeyStore(upgraded, masterKey).open('signet-ocsp');
    assert.ok(ocsp && publicKeyOf(ocsp.publicKey).equals(createPublicKey(pems['signet-ocsp'])));
  });

  it('leave a usable key when an upgrade stopped between writing the encrypted file and removing the plaintext', async () => {
    const interrupted = await freshDir('interrupted');
    const pem = await plaintextPem();
    await writeFile(join(interrupted, 'signet-sealing.key.pem'), pem, { mode: 0o600 });
    await createFileKeyStore(interrupted, masterKey).open('signet-sealing');
    // Put the plaintext back beside its encrypted copy: the state a crash after the write leaves.
    await writeFile(join(interrupted, 'signet-sealing.key.pem'), pem, { mode: 0o600 });

    const key = await createFileKeyStore(interrupted, masterKey).open('signet-sealing');
    assert.ok(key && publicKeyOf(key.publicKey).equals(createPublicKey(pem)));
    assert.deepEqual(await readdir(interrupted), ['signet-sealing.key.sealed']);
  });

  it('are kept, and the store refuses to start, when an encrypted file under the same label holds another key', async () => {
    const conflicting = await freshDir('conflicting');
    await createFileKeyStore(conflicting, masterKey).generate('signet-sealing', 'rsa-sha256');
    await writeFile(join(conflicting, 'signet-sealing.key.pem'), await plaintextPem(), { mode: 0o600 });

    await assert.rejects(createFileKeyStore(conflicting, masterKey).open('signet-sealing'), {
      code: 'KEY_UPGRADE_CONFLICT',
      detail: /signet-sealing\.key\.pem/,
    });
    assert.deepEqual((await readdir(conflicting)).sort(), [
      'signet-sealing.key.pem',
      'signet-sealing.key.sealed',
    ]);
  });

  it('include the temporary file of a write an earlier version did not finish', async () => {
    const leftover = await freshDir('leftover');
    await writeFile(join(leftover, 'signet-tsa.key.pem.4242.0badcafe.tmp'), await plaintextPem(), {
      mode: 0o600,
    });
    assert.equal(await createFileKeyStore(leftover, masterKey).open('signet-tsa'), undefined);
    assert.deepEqual(await readdir(leftover), []);
  });
});
