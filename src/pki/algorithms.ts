import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { SignatureAlgorithm } from './signer.ts';

/** Algorithm identifiers shared by certificates (RFC 5280) and CMS (RFC 5652). */
export const ALGORITHM_OID = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
} as const;

/** RFC 5754 §2: SHA-2 identifiers are generated with the parameters absent. */
export function sha256AlgorithmIdentifier(): pkijs.AlgorithmIdentifier {
  return new pkijs.AlgorithmIdentifier({ algorithmId: ALGORITHM_OID.sha256 });
}

/**
 * The signature AlgorithmIdentifier for a `SignatureAlgorithm`: NULL parameters for RSA
 * (RFC 4055 §5, RFC 5754 §3.2), none for ECDSA (RFC 5758 §3.2).
 */
export function signatureAlgorithmIdentifier(algorithm: SignatureAlgorithm): pkijs.AlgorithmIdentifier {
  if (algorithm === 'rsa-sha256') {
    return new pkijs.AlgorithmIdentifier({
      algorithmId: ALGORITHM_OID.sha256WithRSAEncryption,
      algorithmParams: new asn1js.Null(),
    });
  }
  return new pkijs.AlgorithmIdentifier({ algorithmId: ALGORITHM_OID.ecdsaWithSHA256 });
}

/**
 * Node's digest name for each signature algorithm Signet accepts on what others signed (CSRs,
 * CRLs, certificates): RSA PKCS#1 v1.5 (RFC 4055 §5) and ECDSA (RFC 5758 §3.2) with SHA-2.
 */
export const SIGNATURE_DIGESTS: Readonly<Record<string, 'sha256' | 'sha384' | 'sha512'>> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
