import { EXTENDED_KEY_USAGE, KEY_USAGE_BIT, type ParsedCertificate } from './certificates.ts';
import { type Finding, finding } from './report.ts';

/*
 * Certification path building and checking (RFC 5280 §6, reduced to what signature validation
 * needs): from the signer up through the certificates at hand (the CMS, the /DSS) to one of the
 * trust anchors, each link a verified signature; then validity at a given time, basic
 * constraints and key usage along the path.
 */

export type CertificatePurpose = 'document-signing' | 'timestamping' | 'ocsp-signing';

export interface CertificatePath {
  /** Leaf first; ends with the anchor when `trusted`. */
  certificates: ParsedCertificate[];
  trusted: boolean;
}

const MAX_PATH_LENGTH = 10;

export function buildPath(
  leaf: ParsedCertificate,
  pool: ParsedCertificate[],
  anchors: ParsedCertificate[],
): CertificatePath {
  const path = [leaf];
  const seen = new Set([leaf.sha256]);
  let current = leaf;
  while (path.length <= MAX_PATH_LENGTH) {
    if (anchors.some((a) => a.sha256 === current.sha256)) return { certificates: path, trusted: true };
    const anchor = anchors.find((a) => current.isIssuedBy(a));
    if (anchor) return { certificates: [...path, anchor], trusted: true };
    if (current.isSelfIssued) break;
    const issuer = pool.find((c) => !seen.has(c.sha256) && current.isIssuedBy(c));
    if (!issuer) break;
    path.push(issuer);
    seen.add(issuer.sha256);
    current = issuer;
  }
  return { certificates: path, trusted: false };
}

/** Why a path is not trusted, in one sentence. */
export function untrustedFinding(path: CertificatePath, what: string): Finding {
  const top = path.certificates.at(-1);
  const reason = top?.isSelfIssued
    ? `its root "${top.displayName}" is not a trusted root`
    : `the issuer of "${top?.displayName ?? '?'}" is unknown`;
  return finding(
    what === 'signer' ? 'CHAIN_UNTRUSTED' : `${what.toUpperCase()}_CHAIN_UNTRUSTED`,
    'indeterminate',
    `the ${what} certificate does not chain to a trusted root: ${reason}`,
  );
}

/**
 * Checks validity periods at `at`, CA flags and path lengths of the issuers, and the leaf's
 * key usage for `purpose`. Errors are returned as findings; the caller decides their weight.
 */
export function checkPath(
  path: CertificatePath,
  at: Date,
  purpose: CertificatePurpose,
  what: string,
): Finding[] {
  const findings: Finding[] = [];
  const certificates = path.certificates;
  certificates.forEach((certificate, index) => {
    const role = index === 0 ? `${what} certificate` : `issuer certificate "${certificate.displayName}"`;
    if (at < certificate.notBefore) {
      findings.push(
        finding(
          'CERTIFICATE_NOT_YET_VALID',
          'error',
          `the ${role} was not yet valid at ${at.toISOString()} (valid from ${certificate.notBefore.toISOString()})`,
        ),
      );
    } else if (at > certificate.notAfter) {
      findings.push(
        finding(
          'CERTIFICATE_EXPIRED',
          'error',
          `the ${role} had expired at ${at.toISOString()} (valid until ${certificate.notAfter.toISOString()})`,
        ),
      );
    }
    if (index === 0) return;
    const constraints = certificate.basicConstraints();
    // A v1 root without extensions is tolerated as an anchor (RFC 5280 §6.1: anchors are inputs, not checked).
    const isAnchor = path.trusted && index === certificates.length - 1;
    if (!constraints.ca && !isAnchor) {
      findings.push(
        finding(
          'ISSUER_NOT_CA',
          'error',
          `the ${role} is not a CA certificate (basicConstraints cA is not set)`,
        ),
      );
    }
    if (constraints.pathLength !== undefined && index - 1 > constraints.pathLength) {
      findings.push(
        finding(
          'PATH_LENGTH_EXCEEDED',
          'error',
          `the ${role} allows ${constraints.pathLength} intermediate CAs below it, the path has ${index - 1}`,
        ),
      );
    }
    const keyUsage = certificate.keyUsage();
    if (keyUsage && !keyUsage.has(KEY_USAGE_BIT.keyCertSign) && !isAnchor) {
      findings.push(
        finding(
          'ISSUER_KEY_USAGE',
          'error',
          `the ${role} may not sign certificates (keyUsage lacks keyCertSign)`,
        ),
      );
    }
  });
  const leaf = certificates[0];
  if (leaf) findings.push(...checkLeafUsage(leaf, purpose, what));
  return findings;
}

function checkLeafUsage(leaf: ParsedCertificate, purpose: CertificatePurpose, what: string): Finding[] {
  const keyUsage = leaf.keyUsage();
  const extended = leaf.extendedKeyUsage();
  if (purpose === 'document-signing') {
    if (
      keyUsage &&
      !keyUsage.has(KEY_USAGE_BIT.digitalSignature) &&
      !keyUsage.has(KEY_USAGE_BIT.nonRepudiation)
    ) {
      return [
        finding(
          'KEY_USAGE_MISMATCH',
          'error',
          `the ${what} certificate's keyUsage allows neither digitalSignature nor nonRepudiation`,
        ),
      ];
    }
    return [];
  }
  const required =
    purpose === 'timestamping' ? EXTENDED_KEY_USAGE.timeStamping : EXTENDED_KEY_USAGE.ocspSigning;
  if (!extended?.includes(required)) {
    const name =
      purpose === 'timestamping'
        ? 'id-kp-timeStamping (RFC 3161 §2.3)'
        : 'id-kp-OCSPSigning (RFC 6960 §4.2.2.2)';
    return [
      finding(
        'EXTENDED_KEY_USAGE_MISMATCH',
        'error',
        `the ${what} certificate lacks the extended key usage ${name}`,
      ),
    ];
  }
  return [];
}
