import { createPublicKey, type KeyObject, sign as signWithKey, X509Certificate } from 'node:crypto';
import { SignetError } from '../errors.ts';

/**
 * The signature schemes Signet produces. Both hash with SHA-256: ETSI TS 119 312 lists
 * RSA PKCS#1 v1.5 and ECDSA over P-256 with SHA-256 as suitable for signatures that must
 * verify for years, and every PDF reader we test against understands them.
 */
export type SignatureAlgorithm = 'rsa-sha256' | 'ecdsa-p256-sha256';

/**
 * A private key reachable only through `sign`, so that a PKCS#11 token (or a remote signing
 * service) can stand in for an in-memory key without anything else changing.
 */
export interface SigningKey {
  readonly signatureAlgorithm: SignatureAlgorithm;
  /**
   * Hashes `data` with SHA-256 and signs the hash. The result is in the encoding CMS and X.509
   * carry: a PKCS#1 v1.5 signature block for RSA (RFC 8017 §8.2), a DER `ECDSA-Sig-Value`
   * for ECDSA (RFC 5753 §2.1.1). A PKCS#11 `CKM_ECDSA` returns raw r‖s and must be re-encoded.
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** A signing key together with the certificate that binds it to a name, as used for sealing. */
export interface SealingIdentity extends SigningKey {
  /** DER of the sealing certificate. */
  readonly certificate: Uint8Array;
  /** DER of the issuer certificates, nearest issuer first, up to and including the root. */
  readonly chain: Uint8Array[];
}

/** Wraps a Node `KeyObject`; `crypto.sign` is an order of magnitude faster than WebCrypto here. */
export function signingKeyFromKeyObject(privateKey: KeyObject): SigningKey {
  const signatureAlgorithm = signatureAlgorithmOf(privateKey);
  return {
    signatureAlgorithm,
    // With digest 'sha256' Node emits PKCS#1 v1.5 for RSA keys and DER (not IEEE P1363) for EC.
    sign: async (data) => new Uint8Array(signWithKey('sha256', data, privateKey)),
  };
}

/**
 * Pairs a private key with its certificate and chain, refusing a key that does not belong to
 * the certificate: such a pair would produce seals that no validator accepts, and we would
 * rather find out at start-up than on the first document.
 */
export function sealingIdentityFromKeyObject(
  privateKey: KeyObject,
  certificate: Uint8Array,
  chain: Uint8Array[],
): SealingIdentity {
  assertKeyMatchesCertificate(privateKey, certificate);
  return { ...signingKeyFromKeyObject(privateKey), certificate, chain };
}

function signatureAlgorithmOf(key: KeyObject): SignatureAlgorithm {
  if (key.type !== 'private') {
    throw new SignetError('KEY_UNSUPPORTED', `expected a private key, got a ${key.type} key`);
  }
  if (key.asymmetricKeyType === 'rsa') return 'rsa-sha256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ecdsa-p256-sha256';
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const kind = curve ? `${key.asymmetricKeyType} (${curve})` : String(key.asymmetricKeyType);
  throw new SignetError('KEY_UNSUPPORTED', `unsupported key type ${kind}; use RSA or ECDSA P-256`);
}

function assertKeyMatchesCertificate(privateKey: KeyObject, certificate: Uint8Array): void {
  const certificatePublicKey = new X509Certificate(certificate).publicKey;
  const keyPublicKey = createPublicKey(privateKey);
  if (!certificatePublicKey.equals(keyPublicKey)) {
    throw new SignetError(
      'KEY_CERTIFICATE_MISMATCH',
      'the private key does not belong to the sealing certificate',
    );
  }
}
