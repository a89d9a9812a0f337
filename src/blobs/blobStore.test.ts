import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SignetError } from '../errors.ts';
import { FileBlobStore, loadOrCreateMasterKey, masterKeyFrom, sha256Hex } from './blobStore.ts';

describe('the encrypted blob store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-blobs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('returns what was stored, addressed by its SHA-256', async () => {
    const store = new FileBlobStore(join(dir, 'a'), masterKeyFrom(randomBytes(32)));
    const bytes = randomBytes(10_000);
    const { sha256, size } = await store.put(bytes);
    assert.equal(sha256, sha256Hex(bytes));
    assert.equal(size, 10_000);
    assert.deepEqual(await store.get(sha256), bytes);
  });

  it('cannot be read with another master key', async () => {
    const store = new FileBlobStore(join(dir, 'b'), masterKeyFrom(randomBytes(32)));
    const { sha256 } = await store.put(Buffer.from('confidential'));
    const thief = new FileBlobStore(join(dir, 'b'), masterKeyFrom(randomBytes(32)));
    await assert.rejects(
      thief.get(sha256),
      (e: unknown) => e instanceof SignetError && e.code === 'BLOB_KEY_UNKNOWN',
    );
  });

  it('reports a missing blob clearly', async () => {
    const store = new FileBlobStore(join(dir, 'c'), masterKeyFrom(randomBytes(32)));
    await assert.rejects(
      store.get('0'.repeat(64)),
      (e: unknown) => e instanceof SignetError && e.code === 'BLOB_MISSING',
    );
  });

  it('generates a dev master key once, private to its owner', () => {
    const keyDir = join(dir, 'keys');
    const first = loadOrCreateMasterKey(keyDir, undefined);
    const second = loadOrCreateMasterKey(keyDir, undefined);
    assert.deepEqual(first.key, second.key);
    assert.equal(statSync(join(keyDir, 'master.key')).mode & 0o077, 0);
    assert.equal(readdirSync(keyDir).length, 1);
    assert.equal(Buffer.from(readFileSync(join(keyDir, 'master.key'), 'utf8'), 'base64').length, 32);
  });
});
