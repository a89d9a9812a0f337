import { createPrivateKey, generateKeyPair, type KeyObject, randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MasterKey } from '../blobs/envelopeEncryption.ts';
import { type SealedSecrets, sealedSecrets } from '../blobs/sealedSecrets.ts';
import { SignetError } from '../errors.ts';
import { subjectPublicKeyOf } from './issue.ts';
import {
  DEFAULT_RSA_MODULUS_LENGTH,
  type EphemeralKey,
  type KeyGenerationOptions,
  type KeyStore,
  type StoredKey,
} from './keyStore.ts';
import {
  openSealedPrivateKeyPem,
  PLAINTEXT_KEY_SUFFIX,
  SEALED_KEY_SUFFIX,
  sealPrivateKeyPem,
} from './sealedKeyFile.ts';
import { type SignatureAlgorithm, type SigningKey, signingKeyFromKeyObject } from './signer.ts';

/*
 * Keys as files, one per label (`<label>.key.sealed`, mode 0600: the PKCS#8 PEM encrypted under
 * the master key, see sealedKeyFile.ts), in a directory only the owner may enter. For
 * development and small installations; the PKCS#11 store keeps keys inside a token instead.
 * One-time keys never touch the disk.
 *
 * Earlier versions wrote `<label>.key.pem` in plaintext: the first use of the store encrypts
 * every such file in place, so an upgrade needs no step from the operator.
 */

/** Labels become file names, so they are kept to a safe alphabet (no `/`, no `..`). */
const LABEL_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface FileKeyStore extends KeyStore {
  readonly kind: 'file';
  readonly dir: string;
  /**
   * Adopts an existing PKCS#8 PEM key under `label` (used once, to move keys of the old dev-CA
   * layout into the store). Refuses a label that is already taken.
   */
  importPem(label: string, pem: string): Promise<StoredKey>;
}

/** A key store in `dir` whose files are encrypted under `masterKey`. */
export function createFileKeyStore(dir: string, masterKey: MasterKey): FileKeyStore {
  const secrets = sealedSecrets(masterKey);
  const pathOf = (label: string) => join(dir, `${assertLabel(label)}${SEALED_KEY_SUFFIX}`);

  // Once per store, before anything else reads the directory; tried again if it failed.
  let upgrade: Promise<void> | undefined;
  const ready = () => {
    upgrade ??= sealPlaintextKeyFiles(dir, secrets).catch((error: unknown) => {
      upgrade = undefined;
      throw error;
    });
    return upgrade;
  };

  const read = async (label: string): Promise<KeyObject | undefined> => {
    await ready();
    const sealed = await readKeyFile(pathOf(label));
    return sealed === undefined
      ? undefined
      : parsePem(openSealedPrivateKeyPem(secrets, sealed, label), label);
  };
  const assertFree = async (label: string): Promise<void> => {
    await ready();
    if ((await readKeyFile(pathOf(label))) !== undefined) throw labelTaken(label);
  };

  const persist = async (label: string, privateKey: KeyObject): Promise<StoredKey> => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeNewFileAtomically(pathOf(label), sealPrivateKeyPem(secrets, pem), label);
    return storedKey(label, privateKey);
  };

  return {
    kind: 'file',
    dir,
    async generate(label, algorithm, options) {
      await assertFree(label);
      return persist(label, await generatePrivateKey(algorithm, options));
    },
    async open(label) {
      const privateKey = await read(label);
      return privateKey === undefined ? undefined : storedKey(label, privateKey);
    },
    async importPem(label, pem) {
      await assertFree(label);
      return persist(label, parsePem(pem, label));
    },
    async generateEphemeral(algorithm, options) {
      let privateKey: KeyObject | undefined = await generatePrivateKey(algorithm, options);
      const key = signingKeyFromKeyObject(privateKey);
      const publicKey = subjectPublicKeyOf(privateKey);
      const ephemeral: SigningKey = {
        signatureAlgorithm: key.signatureAlgorithm,
        sign: async (data) => {
          if (!privateKey)
            throw new SignetError('KEY_DESTROYED', 500, 'the one-time key was already destroyed');
          return key.sign(data);
        },
      };
      const result: EphemeralKey = {
        key: ephemeral,
        publicKey,
        // JavaScript cannot wipe memory; dropping the only reference is the most we can do.
        destroy: async () => {
          privateKey = undefined;
        },
      };
      return result;
    },
    async close() {
      // Nothing is held open.
    },
  };
}

export function generatePrivateKey(
  algorithm: SignatureAlgorithm,
  options: KeyGenerationOptions = {},
): Promise<KeyObject> {
  const generate = promisify(generateKeyPair);
  if (algorithm === 'ecdsa-p256-sha256') {
    return generate('ec', { namedCurve: 'prime256v1' }).then(({ privateKey }) => privateKey);
  }
  const modulusLength = options.rsaModulusLength ?? DEFAULT_RSA_MODULUS_LENGTH;
  return generate('rsa', { modulusLength }).then(({ privateKey }) => privateKey);
}

function storedKey(label: string, privateKey: KeyObject): StoredKey {
  return { label, key: signingKeyFromKeyObject(privateKey), publicKey: subjectPublicKeyOf(privateKey) };
}

function parsePem(pem: string, label: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new SignetError('KEY_UNREADABLE', 500, `the key "${label}" is not a readable private key`);
  }
}

function assertLabel(label: string): string {
  if (!LABEL_PATTERN.test(label)) {
    throw new SignetError('KEY_LABEL_INVALID', 500, `key label "${label}" must match ${LABEL_PATTERN}`);
  }
  return label;
}

const labelTaken = (label: string) =>
  new SignetError('KEY_LABEL_TAKEN', 409, `a key labelled "${label}" already exists`);

async function readKeyFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Encrypts each `<label>.key.pem` an earlier version left in `dir`: the encrypted file is
 * written (and flushed) first and the plaintext removed after, so a crash in between leaves the
 * key usable — the next start finds both, checks they hold the same key, and removes the
 * plaintext. Two processes upgrading at once meet at the `link` and both end the same way.
 */
async function sealPlaintextKeyFiles(dir: string, secrets: SealedSecrets): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    // An interrupted write of an earlier version: the key either made it under its name or was
    // never stored, so the temporary copy serves nothing and holds a key in plaintext.
    if (PLAINTEXT_TEMPORARY_PATTERN.test(name)) await unlinkIfPresent(join(dir, name));
  }
  for (const name of names) {
    if (!name.endsWith(PLAINTEXT_KEY_SUFFIX)) continue;
    const label = name.slice(0, -PLAINTEXT_KEY_SUFFIX.length);
    if (!LABEL_PATTERN.test(label)) continue; // not a file this store wrote
    const plaintextPath = join(dir, name);
    const pem = await readKeyFile(plaintextPath);
    if (pem === undefined) continue; // another process finished this one
    const sealedPath = join(dir, `${label}${SEALED_KEY_SUFFIX}`);
    try {
      await writeNewFileAtomically(sealedPath, sealPrivateKeyPem(secrets, pem), label);
    } catch (error) {
      if (!(error instanceof SignetError && error.code === 'KEY_LABEL_TAKEN')) throw error;
      await assertSameKey(sealedPath, pem, label, secrets);
    }
    await syncDirectory(dir);
    await unlinkIfPresent(plaintextPath);
  }
}

/** `<label>.key.pem.<pid>.<hex>.tmp`, as writeNewFileAtomically named them before keys were sealed. */
const PLAINTEXT_TEMPORARY_PATTERN = /\.key\.pem\.\d+\.[0-9a-f]+\.tmp$/;

/** The plaintext is removed only when the encrypted file beside it holds the same key. */
async function assertSameKey(sealedPath: string, pem: string, label: string, secrets: SealedSecrets) {
  const sealed = await readKeyFile(sealedPath);
  const held = sealed === undefined ? undefined : openSealedPrivateKeyPem(secrets, sealed, label);
  if (held !== undefined && sameKey(held, pem)) return;
  throw new SignetError(
    'KEY_UPGRADE_CONFLICT',
    500,
    `both ${label}${PLAINTEXT_KEY_SUFFIX} (plaintext, from an earlier version) and ${label}${SEALED_KEY_SUFFIX} exist and hold different keys; keep the one your certificates name and remove the other`,
  );
}

function sameKey(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return createPrivateKey(a).equals(createPrivateKey(b));
  } catch {
    return false;
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Makes a new directory entry durable, so the plaintext is never removed before its encrypted copy is on disk. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Write, flush, then link (a crash never leaves a truncated key file), and the link is refused
 * if the label appeared meanwhile: `link` fails on an existing target where `rename` would
 * replace it.
 */
async function writeNewFileAtomically(path: string, content: string, label: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw labelTaken(label);
    // Filesystems without hard links: fall back to rename (the existence check above stands).
    await rename(temporary, path);
    return;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}
