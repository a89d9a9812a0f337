import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { MasterKey } from '../blobs/envelopeEncryption.ts';
import { sealedSecrets } from '../blobs/sealedSecrets.ts';
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
  hasSealedKeyFile,
  KEY_LABEL_PATTERN,
  labelTaken,
  readSealedKeyFile,
  sealPlaintextKeyFiles,
  writeSealedKeyFile,
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

  // Once per store, before anything else reads the directory; tried again if it failed.
  let upgrade: Promise<void> | undefined;
  const ready = () => {
    upgrade ??= sealPlaintextKeyFiles(dir, secrets).catch((error: unknown) => {
      upgrade = undefined;
      throw error;
    });
    return upgrade;
  };

  const assertFree = async (label: string): Promise<void> => {
    await ready();
    if (await hasSealedKeyFile(dir, assertLabel(label))) throw labelTaken(label);
  };

  const persist = async (label: string, privateKey: KeyObject): Promise<StoredKey> => {
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeSealedKeyFile(dir, label, pem, secrets);
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
      await ready();
      const pem = await readSealedKeyFile(dir, assertLabel(label), secrets);
      return pem === undefined ? undefined : storedKey(label, parsePem(pem, label));
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
          if (!privateKey) throw new SignetError('KEY_DESTROYED', 'the one-time key was already destroyed');
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
    throw new SignetError('KEY_UNREADABLE', `the key "${label}" is not a readable private key`);
  }
}

function assertLabel(label: string): string {
  if (!KEY_LABEL_PATTERN.test(label)) {
    throw new SignetError('KEY_LABEL_INVALID', `key label "${label}" must match ${KEY_LABEL_PATTERN}`);
  }
  return label;
}
