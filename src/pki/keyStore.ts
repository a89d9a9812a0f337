import { SignetError } from '../errors.ts';
import type { SignatureAlgorithm, SigningKey } from './signer.ts';

/*
 * Where private keys live. Two implementations: key files on disk (development) and a PKCS#11
 * token (an HSM; SoftHSM2 in tests), where keys are generated inside the token and only ever
 * used through `SigningKey.sign` — no private key leaves it.
 *
 * Everything that signs (the CA issuing certificates, the TSA, the OCSP responder, the sealing
 * key, per-signer one-time keys) asks a KeyStore, so switching to an HSM changes no caller.
 */

/** A key kept in the store under a label, usable for signing; its public half as DER SPKI. */
export interface StoredKey {
  readonly label: string;
  readonly key: SigningKey;
  /** DER SubjectPublicKeyInfo, for putting into a certificate. */
  readonly publicKey: Uint8Array;
}

/** A key made for one signature and destroyed right after it (per-signer signatures). */
export interface EphemeralKey {
  readonly key: SigningKey;
  readonly publicKey: Uint8Array;
  /** Destroys the private key (in the token, or drops the in-memory copy). Idempotent. */
  destroy(): Promise<void>;
}

/**
 * How large an RSA key to make. 2048 bits unless asked otherwise: the CAs ask for 3072 because a
 * 20-year root outlives RSA-2048's horizon (NIST SP 800-57 Part 1 §5.6.3). Ignored for ECDSA.
 */
export interface KeyGenerationOptions {
  rsaModulusLength?: 2048 | 3072 | 4096;
}

export const DEFAULT_RSA_MODULUS_LENGTH = 2048;

export interface KeyStore {
  readonly kind: 'file' | 'pkcs11';
  /** Generates a persistent key pair under `label`; refuses a label that is already taken. */
  generate(label: string, algorithm: SignatureAlgorithm, options?: KeyGenerationOptions): Promise<StoredKey>;
  /** The key stored under `label`, or undefined when there is none. */
  open(label: string): Promise<StoredKey | undefined>;
  /** A fresh key for exactly one use; never written anywhere persistent. */
  generateEphemeral(algorithm: SignatureAlgorithm, options?: KeyGenerationOptions): Promise<EphemeralKey>;
  close(): Promise<void>;
}

/** The kinds of key an operator may ask for by name (`--key-type`), and how each is made. */
export const KEY_TYPES = {
  'rsa-2048': { algorithm: 'rsa-sha256', options: { rsaModulusLength: 2048 } },
  'rsa-3072': { algorithm: 'rsa-sha256', options: { rsaModulusLength: 3072 } },
  'rsa-4096': { algorithm: 'rsa-sha256', options: { rsaModulusLength: 4096 } },
  'ecdsa-p256': { algorithm: 'ecdsa-p256-sha256', options: {} },
} as const satisfies Record<string, { algorithm: SignatureAlgorithm; options: KeyGenerationOptions }>;
export type KeyType = keyof typeof KEY_TYPES;

export function parseKeyType(value: string): KeyType {
  if (Object.hasOwn(KEY_TYPES, value)) return value as KeyType;
  throw new SignetError(
    'KEY_UNSUPPORTED',
    `unknown key type "${value}"; known: ${Object.keys(KEY_TYPES).join(', ')}`,
  );
}
