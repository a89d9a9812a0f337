import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SignetError } from '../errors.ts';
import { type MasterKey, openBlob, sealBlob } from './envelopeEncryption.ts';

/** Documents by content address: the SHA-256 of the plaintext names the blob. */
export interface BlobStore {
  put(bytes: Uint8Array): Promise<{ sha256: string; size: number }>;
  /** Returns the plaintext, after checking it still hashes to its address. */
  get(sha256: string): Promise<Buffer>;
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export function masterKeyFrom(key: Buffer): MasterKey {
  return { key, id: createHash('sha256').update(key).digest().subarray(0, 8) };
}

/**
 * The master key comes from MASTER_KEY; in development, when unset, one is generated into
 * `<dataDir>/master.key` on first start (never logged).
 */
export function loadOrCreateMasterKey(dataDir: string, configured: Buffer | undefined): MasterKey {
  if (configured) return masterKeyFrom(configured);
  const file = join(dataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, randomBytes(32).toString('base64'), { mode: 0o600 });
    renameSync(temp, file);
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
  return masterKeyFrom(key);
}

export class FileBlobStore implements BlobStore {
  constructor(
    private readonly root: string,
    private readonly master: MasterKey,
  ) {}

  private pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new SignetError('BLOB_ADDRESS_INVALID', 'Bad blob address');
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(bytes: Uint8Array) {
    const sha256 = sha256Hex(bytes);
    const path = this.pathOf(sha256);
    if (!existsSync(path)) {
      await mkdir(dirname(path), { recursive: true });
      // Write then rename, so a crash never leaves a half-written blob under its final name.
      const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(temp, sealBlob(bytes, this.master), { mode: 0o600 });
      await rename(temp, path);
    }
    return { sha256, size: bytes.length };
  }

  async get(sha256: string) {
    let sealed: Buffer;
    try {
      sealed = await readFile(this.pathOf(sha256));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new SignetError('BLOB_MISSING', 'A stored document is missing from the blob store');
      }
      throw error;
    }
    const plaintext = openBlob(sealed, this.master);
    if (sha256Hex(plaintext) !== sha256) {
      throw new SignetError('BLOB_TAMPERED', 'A stored document does not match its recorded hash');
    }
    return plaintext;
  }
}
