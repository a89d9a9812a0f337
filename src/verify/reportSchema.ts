import { z } from 'zod';

/** The verification report (./report.ts) as the API answers it: the shapes, for OpenAPI and the SDK. */

const verdict = z.enum(['valid', 'invalid', 'indeterminate']);

const finding = z
  .object({
    code: z.string(),
    severity: z.enum(['error', 'indeterminate', 'warning', 'info']),
    message: z.string(),
  })
  .meta({ id: 'Finding' });

const certificateSummary = z
  .object({
    subject: z.string(),
    commonName: z.string().optional(),
    email: z.string().optional(),
    issuer: z.string(),
    serialNumber: z.string().describe('Hex, as OpenSSL prints it'),
    notBefore: z.string(),
    notAfter: z.string(),
    sha256: z.string(),
  })
  .meta({ id: 'CertificateSummary' });

const timestampReport = z.object({
  time: z.string(),
  tsaName: z.string(),
  imprintMatches: z.boolean(),
  signatureValid: z.boolean(),
  trusted: z.boolean(),
  tsaCertificate: certificateSummary.optional(),
  controlTime: z
    .object({
      time: z.string(),
      source: z.enum(['validation-time', 'document-timestamp']),
      fieldName: z.string().optional(),
    })
    .optional()
    .describe(
      'When the TSA’s certificates last had to hold: the time the next document time-stamp proves, or the validation time',
    ),
  findings: z.array(finding),
});

const signatureReport = z
  .object({
    fieldName: z.string(),
    kind: z.enum(['signature', 'document-timestamp']),
    subFilter: z.string().optional(),
    signer: certificateSummary.optional(),
    claimedTime: z.string().optional(),
    timestamp: timestampReport.optional(),
    integrity: z.object({
      byteRangeValid: z.boolean(),
      digestMatches: z.boolean(),
      signatureValid: z.boolean(),
      digestAlgorithm: z.string().optional(),
      signatureAlgorithm: z.string().optional(),
    }),
    chain: z
      .object({
        trusted: z.boolean(),
        path: z.array(certificateSummary),
        checkedAt: z.string(),
        checkedAtSource: z.enum(['signature-timestamp', 'claimed-time', 'now', 'document-timestamp']),
        revocation: z.array(
          z.object({
            certificate: z.string(),
            status: z.enum(['good', 'revoked', 'unknown', 'not-checked']),
            source: z.enum(['dss', 'cms', 'live']).optional(),
            kind: z.enum(['ocsp', 'crl']).optional(),
            issuedAt: z.string().optional(),
            revokedAt: z.string().optional(),
            message: z.string(),
          }),
        ),
      })
      .optional(),
    coverage: z.object({
      coversWholeFile: z.boolean(),
      signedRevision: z.number().int().optional(),
      totalRevisions: z.number().int(),
      changes: z.array(
        z.object({ revision: z.number().int(), allowed: z.boolean(), rule: z.string(), message: z.string() }),
      ),
      modifications: z.enum(['untouched', 'allowed-changes', 'disallowed-changes']),
      docMdpPermission: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
    }),
    padesLevel: z.enum(['B-B', 'B-T', 'B-LT', 'B-LTA']).optional(),
    verdict,
    findings: z.array(finding),
  })
  .meta({ id: 'SignatureReport' });

export const verificationReportSchema = z
  .object({
    sha256: z.string(),
    size: z.number().int(),
    revisions: z.number().int(),
    verdict,
    findings: z.array(finding),
    signatures: z.array(signatureReport),
    sealedBySignet: z
      .object({ envelopeId: z.string() })
      .nullable()
      .optional()
      .describe('The envelope Signet sealed this exact file for, if any'),
    validationTime: z.string().describe('The instant the verdict is for: now, or the `at` asked for'),
    verifiedAt: z.string().describe('When this verification ran'),
  })
  .meta({ id: 'VerificationReport' });
