/*
 * What the validator says about a PDF, as plain JSON-serialisable values: the HTTP API returns
 * it as is, the CLI prints it as text. Every verdict carries the findings that explain it, each
 * with a stable machine `code` and a sentence for people (the pyHanko model: a validator that
 * explains its verdict).
 */

export type Verdict = 'valid' | 'invalid' | 'indeterminate';

/**
 * `error` findings make a signature invalid, `indeterminate` ones leave it undecided (untrusted
 * chain, no proof of time), `warning` ones are reported and change nothing.
 */
export type Severity = 'error' | 'indeterminate' | 'warning' | 'info';

export interface Finding {
  code: string;
  severity: Severity;
  message: string;
}

export type SignatureKind = 'signature' | 'document-timestamp';

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

export interface CertificateSummary {
  subject: string;
  commonName?: string;
  email?: string;
  issuer: string;
  /** Hex, as printed by OpenSSL. */
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
}

export interface TimestampReport {
  /** The TSA's clock reading (TSTInfo genTime), ISO 8601. */
  time: string;
  /** TSTInfo `tsa` name when present, else the TSA certificate's subject. */
  tsaName: string;
  /** The imprint matches what the token is supposed to cover. */
  imprintMatches: boolean;
  /** The TSA's CMS signature verifies. */
  signatureValid: boolean;
  /** The TSA certificate chains to a trust anchor. */
  trusted: boolean;
  tsaCertificate?: CertificateSummary;
  /**
   * When the TSA's path last had to hold for the token to prove its time (ETSI EN 319 102-1's
   * control time): the time the next document time-stamp covering it proves, or the validation
   * time when none does. Absent when the token was not valid even at its own time.
   */
  controlTime?: {
    time: string;
    source: 'validation-time' | 'document-timestamp';
    /** The document time-stamp that proves `time`. */
    fieldName?: string;
  };
  findings: Finding[];
}

export interface IntegrityReport {
  /** ByteRange starts at 0, its gap is exactly the /Contents hex string, both ranges lie in the file. */
  byteRangeValid: boolean;
  /** The message-digest attribute (or, for a document time-stamp, the imprint) equals the hash of the signed bytes. */
  digestMatches: boolean;
  /** The CMS signature verifies with the signer certificate's public key. */
  signatureValid: boolean;
  digestAlgorithm?: string;
  signatureAlgorithm?: string;
}

export type RevocationSource = 'dss' | 'cms' | 'live';

export interface RevocationCheck {
  /** Subject of the certificate checked. */
  certificate: string;
  status: 'good' | 'revoked' | 'unknown' | 'not-checked';
  /** Where the answer came from; absent when nothing was found. */
  source?: RevocationSource;
  kind?: 'ocsp' | 'crl';
  /** ISO 8601: OCSP producedAt / CRL thisUpdate. */
  issuedAt?: string;
  revokedAt?: string;
  message: string;
}

export interface ChainReport {
  trusted: boolean;
  /** Signer first, anchor last, as far as the path could be built. */
  path: CertificateSummary[];
  /** The time the path was checked at, and where that time comes from. */
  checkedAt: string;
  checkedAtSource: 'signature-timestamp' | 'claimed-time' | 'now' | 'document-timestamp';
  revocation: RevocationCheck[];
}

/** One change a later revision made, judged by the rule that recognised it. */
export interface Change {
  /** 1-based revision number in which the change appears. */
  revision: number;
  allowed: boolean;
  /** The rule set that judged it: `signatures`, `forms`, `annotations`, `dss`, `metadata`, `structure`, `pages`, `catalog`. */
  rule: string;
  message: string;
}

export interface CoverageReport {
  /** The signature's ByteRange ends where the file ends. */
  coversWholeFile: boolean;
  /** 1-based revision the signature signs, when its ByteRange ends at a revision boundary. */
  signedRevision?: number;
  totalRevisions: number;
  /** What every later revision changed, each change allowed or not. */
  changes: Change[];
  /** `untouched`: nothing after it; `allowed-changes`: later revisions only made allowed changes. */
  modifications: 'untouched' | 'allowed-changes' | 'disallowed-changes';
  /** DocMDP permission (1, 2 or 3) in force for these changes, when the document is certified. */
  docMdpPermission?: 1 | 2 | 3;
}

export interface SignatureReport {
  fieldName: string;
  kind: SignatureKind;
  subFilter?: string;
  signer?: CertificateSummary;
  /** The signature dictionary's /M, ISO 8601. */
  claimedTime?: string;
  /** For a signature: its signature time-stamp. For a document time-stamp: the token itself. */
  timestamp?: TimestampReport;
  integrity: IntegrityReport;
  chain?: ChainReport;
  coverage: CoverageReport;
  /** Highest PAdES baseline level reached (signatures only); absent when not even B-B. */
  padesLevel?: PadesLevel;
  verdict: Verdict;
  findings: Finding[];
}

export interface VerificationReport {
  /** SHA-256 of the file, hex. */
  sha256: string;
  size: number;
  revisions: number;
  verdict: Verdict;
  /** Why the file as a whole got its verdict. */
  findings: Finding[];
  signatures: SignatureReport[];
  /** Present when the caller can look sealed documents up: the envelope Signet sealed this exact file for. */
  sealedBySignet?: { envelopeId: string } | null;
  /** ISO 8601: the time the verdict is for — now, or the instant asked for (`--at`, `at`). */
  validationTime: string;
  /** ISO 8601: when this verification ran. */
  verifiedAt: string;
}

export const finding = (code: string, severity: Severity, message: string): Finding => ({
  code,
  severity,
  message,
});

/** The verdict a set of findings adds up to: any error is invalid, then any indeterminate. */
export function verdictOf(findings: Finding[]): Verdict {
  if (findings.some((f) => f.severity === 'error')) return 'invalid';
  if (findings.some((f) => f.severity === 'indeterminate')) return 'indeterminate';
  return 'valid';
}
