import { createPrivateKey, generateKeyPair, type KeyObject, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignetError } from '../errors.ts';
import { subjectPublicKeyOf } from './issue.ts';
import {
  DEFAULT_RSA_MODULUS_LENGTH,
  type EphemeralKey,
  type KeyGenerationOptions,
  type KeyStore,
  type StoredKey,
} from './keyStore.ts';
import { type SignatureAlgorithm, type SigningKey, signingKeyFromKeyObject } from './signer.ts';

/*
 * Keys as unencrypted PKCS#8 PEM files, one per label (`<label>.key.pem`, mode 0600), in a
 * directory only the owner may enter. For development and small installations; the PKCS#11
 * store keeps keys inside a token instead. One-time keys never touch the disk.
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

export function createFileKeyStore(dir: string): FileKeyStore {
  const pathOf = (label: string) => join(dir, `${assertLabel(label)}.key.pem`);

  const persist = async (label: string, privateKey: KeyObject): Promise<StoredKey> => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeNewFileAtomically(pathOf(label), pem, label);
    return storedKey(label, privateKey);
  };

  return {
    kind: 'file',
    dir,
    async generate(label, algorithm, options) {
      assertLabel(label);
      if (await readKeyFile(pathOf(label))) throw labelTaken(label);
      return persist(label, await generatePrivateKey(algorithm, options));
    },
    async open(label) {
      const pem = await readKeyFile(pathOf(label));
      return pem === undefined ? undefined : storedKey(label, parsePem(pem, label));
    },
    async importPem(label, pem) {
      assertLabel(label);
      if (await readKeyFile(pathOf(label))) throw labelTaken(label);
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
 * Write-then-rename (a crash never leaves a truncated PEM), and the rename is refused if the
 * label appeared meanwhile: `link` fails on an existing target where `rename` would replace it.
 */
async function writeNewFileAtomically(path: string, content: string, label: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, content, { mode: 0o600, flag: 'wx' });
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
