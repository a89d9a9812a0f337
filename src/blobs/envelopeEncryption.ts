import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SignetError } from '../errors.ts';

/**
 * Envelope encryption for documents at rest (SPEC §L): each blob gets its own random
 * AES-256-GCM data key, and that key is stored wrapped (AES-256-GCM) by the master key.
 *
 * Layout (all lengths fixed):
 *   magic "SGB1" (4) | master key id (8) | wrap iv (12) | wrapped data key (32) | wrap tag (16)
 *   | data iv (12) | data tag (16) | ciphertext
 * The master key id (first 8 bytes of SHA-256 of the key, never the key) lets a later
 * rotation find which master key wrapped a blob.
 */
const MAGIC = Buffer.from('SGB1');
const HEADER_LENGTH = 4 + 8 + 12 + 32 + 16 + 12 + 16;

export interface MasterKey {
  id: Buffer;
  key: Buffer;
}

export function sealBlob(plaintext: Uint8Array, master: MasterKey): Buffer {
  const dataKey = randomBytes(32);
  const wrapIv = randomBytes(12);
  const wrap = createCipheriv('aes-256-gcm', master.key, wrapIv);
  wrap.setAAD(MAGIC);
  const wrappedKey = Buffer.concat([wrap.update(dataKey), wrap.final()]);
  const dataIv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey, dataIv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([
    MAGIC,
    master.id,
    wrapIv,
    wrappedKey,
    wrap.getAuthTag(),
    dataIv,
    cipher.getAuthTag(),
    ciphertext,
  ]);
}

export function openBlob(sealed: Buffer, master: MasterKey): Buffer {
  if (sealed.length < HEADER_LENGTH || !sealed.subarray(0, 4).equals(MAGIC)) {
    throw new SignetError('BLOB_CORRUPT', 'Stored document is not in the expected encrypted format');
  }
  let offset = 4;
  const take = (length: number) => {
    const part = sealed.subarray(offset, offset + length);
    offset += length;
    return part;
  };
  const keyId = take(8);
  if (!keyId.equals(master.id)) {
    throw new SignetError('BLOB_KEY_UNKNOWN', 'Stored document was encrypted under a different master key');
  }
  const wrapIv = take(12);
  const wrappedKey = take(32);
  const wrapTag = take(16);
  const dataIv = take(12);
  const dataTag = take(16);
  try {
    const unwrap = createDecipheriv('aes-256-gcm', master.key, wrapIv);
    unwrap.setAAD(MAGIC);
    unwrap.setAuthTag(wrapTag);
    const dataKey = Buffer.concat([unwrap.update(wrappedKey), unwrap.final()]);
    const decipher = createDecipheriv('aes-256-gcm', dataKey, dataIv);
    decipher.setAuthTag(dataTag);
    return Buffer.concat([decipher.update(sealed.subarray(offset)), decipher.final()]);
  } catch {
    throw new SignetError('BLOB_TAMPERED', 'Stored document failed its authentication check');
  }
}
