import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import type { PDFDocument } from 'pdf-lib';
import { SignetError } from '../errors.ts';
import { defaultOutboundClient, type OutboundClient } from '../outbound/outboundHttp.ts';
import { CMS_OID } from '../pdf/cms.ts';
import { openPdf } from '../pdf/inspect.ts';
import { PdfBudget, type PdfLimits } from '../pdf/limits/pdfBudget.ts';
import {
  buildPath,
  type CertificatePath,
  type CertificatePurpose,
  checkPath,
  untrustedFinding,
} from './certificatePath.ts';
import { type ParsedCertificate, parseCertificates } from './certificates.ts';
import {
  ADOBE_REVOCATION_INFO_ARCHIVAL,
  type CmsVerification,
  checkSigningCertificateAttribute,
  sequenceItems,
  verifyCms,
} from './cmsSignedData.ts';
import { compareRevisions, type DocMdpPermission } from './diffAnalysis.ts';
import { type DocumentSecurityStore, readDss } from './dss.ts';
import { fetchLiveRevocation } from './liveRevocation.ts';
import {
  type LinkOutcome,
  LONG_TERM_CODES,
  lapseFinding,
  type ProofChain,
  pathExpiry,
  proveChain,
  type TimestampKind,
  type TimestampLink,
} from './longTerm.ts';
import {
  type ChainReport,
  type Change,
  type CoverageReport,
  type Finding,
  finding,
  type IntegrityReport,
  type PadesLevel,
  type RevocationCheck,
  type SignatureReport,
  type TimestampReport,
  type VerificationReport,
  verdictOf,
} from './report.ts';
import {
  findRevisionBoundaries,
  loadRevisions,
  type RevisionBoundary,
  revisionEndingAt,
} from './revisions.ts';
import { checkRevocation, type RevocationData } from './revocation.ts';
import {
  readSignatureDictionary,
  readSignedBytes,
  type SignatureDictionary,
  type SignatureField,
  signatureFieldsOf,
} from './signatureFields.ts';
import { checkTimestampToken, type TimestampToken } from './timestamps.ts';

/*
 * The validator (SPEC §C): for every signature and document time-stamp in a PDF, what it
 * covers, whether it is intact, who made it and whether they can be trusted, what the
 * revisions after it changed, and which PAdES baseline level it reaches — each verdict with the
 * findings that explain it. Everything is pure computation over the bytes except the optional
 * live revocation look-up, which goes through the outbound module (src/outbound/).
 */

export type RevocationPolicy = 'embedded-only' | 'embedded-then-live';

export interface VerifyOptions {
  /** DER certificates of the roots to trust. */
  trustAnchors: Uint8Array[];
  /**
   * The validation time: the verdict is the one due at this instant (default: the current
   * time). `signet verify --at` and the API's `at` set it to a past or future date.
   */
  now?: Date;
  /** Whether revocation data may be fetched when the file carries none (default embedded-only). */
  revocation?: RevocationPolicy;
  /**
   * How live look-ups are made: the URLs are the PDF's, asked as a tenant's. Default: the
   * outbound module's strict client (public addresses only).
   */
  outbound?: OutboundClient;
  /** Timeout for each live OCSP/CRL request (default 5 s). */
  liveTimeoutMs?: number;
  /** Looks the file's SHA-256 up among the documents Signet sealed. */
  knownSealedDocument?: (sha256Hex: string) => Promise<{ envelopeId: string } | undefined>;
  /** What reading the file may cost (limits/pdfBudget.ts); the defaults when absent. */
  limits?: Partial<PdfLimits>;
}

/** More than this many signatures is no real document. */
export const MAX_SIGNATURES = 100;

const PADES_SUBFILTER = 'ETSI.CAdES.detached';
const SUPPORTED_SUBFILTERS = new Set([PADES_SUBFILTER, 'adbe.pkcs7.detached', 'ETSI.RFC3161']);

/**
 * Verifies every signature in `pdf`. Throws SignetError only for a file that cannot be examined
 * at all (not a PDF, damaged, encrypted, absurdly many revisions); problems of a single
 * signature (a bad ByteRange, a malformed CMS) are findings in its report.
 */
export async function verifyPdf(pdf: Uint8Array, options: VerifyOptions): Promise<VerificationReport> {
  const now = options.now ?? new Date();
  const budget = new PdfBudget(options.limits);
  const document = await openPdf(pdf, budget);
  const sha256 = createHash('sha256').update(pdf).digest('hex');
  // openPdf has refused a file with more revision ends than the limit; these are a subset.
  const boundaries = findRevisionBoundaries(pdf);
  const fields = signatureFieldsOf(document);
  if (fields.length > MAX_SIGNATURES) {
    throw new SignetError(
      'PDF_TOO_MANY_SIGNATURES',
      `the file has ${fields.length} signatures; at most ${MAX_SIGNATURES} are verified`,
    );
  }
  const context: VerificationContext = {
    pdf,
    budget,
    now,
    options,
    boundaries,
    revisions: fields.length > 0 ? await loadRevisions(pdf, boundaries, budget) : [],
    dss: readDss(document, budget),
    anchors: parseCertificates(options.trustAnchors),
    steps: new Map(),
    liveRevocation: new Map(),
  };

  const examined = await Promise.all(fields.map((field) => examineSignature(document, field, context)));
  const certifications = examined.filter(
    (e) => e.dictionary.docMdpPermission !== undefined && e.signedRevision !== undefined,
  );
  const proof = proveChain(
    examined.flatMap((e) => (e.timestampLink ? [e.timestampLink] : [])),
    now,
  );
  const signatures = examined.map((e) => finishSignature(e, examined, certifications, proof, context));

  const findings = fileFindings(pdf, boundaries, signatures);
  const sealed = options.knownSealedDocument
    ? ((await options.knownSealedDocument(sha256)) ?? null)
    : undefined;
  return {
    sha256,
    size: pdf.length,
    revisions: boundaries.length,
    verdict: verdictOf(findings),
    findings,
    signatures,
    ...(sealed !== undefined ? { sealedBySignet: sealed } : {}),
    validationTime: now.toISOString(),
    verifiedAt: new Date().toISOString(),
  };
}

interface VerificationContext {
  pdf: Uint8Array;
  budget: PdfBudget;
  now: Date;
  options: VerifyOptions;
  boundaries: RevisionBoundary[];
  revisions: (PDFDocument | undefined)[];
  dss: DocumentSecurityStore | undefined;
  anchors: ParsedCertificate[];
  /** Changes of each revision step (index j: revision j-1 → j), computed once, keyed with the policy. */
  steps: Map<string, Change[]>;
  /** Live answers per certificate and issuer: one look-up each, however many paths share them. */
  liveRevocation: Map<string, Promise<LiveRevocation>>;
}

type LiveRevocation = Awaited<ReturnType<typeof fetchLiveRevocation>>;

/** A signature after the checks that need only itself. */
interface Examined {
  field: SignatureField;
  dictionary: SignatureDictionary;
  signedRevision?: number;
  signedEnd?: number;
  integrity: IntegrityReport;
  cms?: CmsVerification;
  signer?: ParsedCertificate;
  signingCertificate?: ReturnType<typeof checkSigningCertificateAttribute>;
  hasSigningTime: boolean;
  timestamp?: TimestampReport;
  timestampValid: boolean;
  /** Whether the TSA path's revocation data all came from the DSS. */
  timestampLongTerm: boolean;
  /** The signature time-stamp or the document time-stamp, for the long-term check (longTerm.ts). */
  timestampLink?: TimestampLink;
  chain?: ChainReport;
  chainLongTerm: boolean;
  /** The signer's certificate path as built, leaf first. */
  signerPath: ParsedCertificate[];
  findings: Finding[];
}

async function examineSignature(
  document: PDFDocument,
  field: SignatureField,
  context: VerificationContext,
): Promise<Examined> {
  const dictionary = readSignatureDictionary(document, field.signature);
  const findings: Finding[] = [];
  const base: Examined = {
    field,
    dictionary,
    integrity: { byteRangeValid: false, digestMatches: false, signatureValid: false },
    hasSigningTime: false,
    timestampValid: false,
    timestampLongTerm: false,
    chainLongTerm: false,
    signerPath: [],
    findings,
  };
  if (dictionary.subFilter && !SUPPORTED_SUBFILTERS.has(dictionary.subFilter)) {
    findings.push(
      finding(
        'SUBFILTER_UNSUPPORTED',
        'indeterminate',
        `SubFilter /${dictionary.subFilter} is not supported`,
      ),
    );
    return base;
  }
  const signed = readSignedBytes(context.pdf, dictionary);
  if (!signed.ok) {
    findings.push(...signed.findings);
    return base;
  }
  const { content, cms, signedEnd } = signed.value;
  const signedRevision = revisionEndingAt(context.boundaries, signedEnd);
  const located = { ...base, signedEnd, ...(signedRevision !== undefined ? { signedRevision } : {}) };
  located.integrity.byteRangeValid = true;
  if (signedRevision === undefined) {
    findings.push(
      finding(
        'SIGNED_RANGE_NOT_A_REVISION',
        'indeterminate',
        'the signed bytes do not end where a revision of the file ends',
      ),
    );
  }
  return dictionary.kind === 'document-timestamp'
    ? examineDocumentTimestamp(located, cms, content, context)
    : examineCmsSignature(located, cms, content, context);
}

async function examineCmsSignature(
  examined: Examined,
  cmsDer: Uint8Array,
  content: Uint8Array,
  context: VerificationContext,
): Promise<Examined> {
  const { findings } = examined;
  const cms = verifyCms(cmsDer, content);
  if ('malformed' in cms) {
    findings.push(cms.malformed);
    return examined;
  }
  findings.push(...cms.findings);
  examined.cms = cms;
  examined.integrity.digestMatches = cms.digestMatches;
  examined.integrity.signatureValid = cms.signatureValid;
  if (cms.digestAlgorithm) examined.integrity.digestAlgorithm = cms.digestAlgorithm;
  if (cms.signatureAlgorithm) examined.integrity.signatureAlgorithm = cms.signatureAlgorithm;
  const signer = cms.signerCertificate;
  if (!signer) return examined;
  examined.signer = signer;

  examined.signingCertificate = checkSigningCertificateAttribute(cms.signedAttributes, signer);
  if (examined.signingCertificate === 'mismatch') {
    findings.push(
      finding(
        'SIGNING_CERTIFICATE_MISMATCH',
        'error',
        'the signing-certificate attribute names another certificate than the one that signed',
      ),
    );
  } else if (examined.signingCertificate === 'absent' && examined.dictionary.subFilter === PADES_SUBFILTER) {
    findings.push(
      finding(
        'SIGNING_CERTIFICATE_MISSING',
        'warning',
        'no signing-certificate-v2 attribute: not a PAdES baseline signature (EN 319 122-1 §5.2.2.3)',
      ),
    );
  }
  examined.hasSigningTime = cms.signedAttributes.has(CMS_OID.signingTime);
  if (examined.hasSigningTime) {
    findings.push(
      finding(
        'PADES_SIGNING_TIME_PRESENT',
        'warning',
        'the CMS carries a signing-time attribute, which PAdES baseline signatures must not (EN 319 142-1 §6.3, Table 1)',
      ),
    );
  }

  const pool = certificatePool(cms.certificates, context);
  const tokenValue = cms.unsignedAttributes.get(CMS_OID.signatureTimeStampToken)?.[0];
  let provenTime: Date | undefined;
  if (tokenValue) {
    const checked = await examineTimestamp(
      new Uint8Array(tokenValue.toBER()),
      cms.signatureValue,
      pool,
      context,
      'signature time-stamp',
    );
    examined.timestamp = checked.report;
    examined.timestampValid = checked.valid;
    examined.timestampLongTerm = checked.longTerm;
    examined.timestampLink = linkOf(checked, 'signature-timestamp', examined);
    findings.push(...checked.findings);
    if (checked.valid && checked.genTime) provenTime = checked.genTime;
  }

  const claimed = examined.dictionary.claimedTime;
  const at = provenTime ?? claimed ?? context.now;
  const atSource = provenTime ? 'signature-timestamp' : claimed ? 'claimed-time' : 'now';
  const revocationData = { ...embeddedRevocation(cms, context) };
  const chain = await examineChain(signer, pool, at, 'document-signing', 'signer', revocationData, context);
  findings.push(...chain.findings);
  examined.signerPath = chain.path.certificates;
  examined.chain = {
    trusted: chain.path.trusted,
    path: chain.path.certificates.map((c) => c.summary()),
    checkedAt: at.toISOString(),
    checkedAtSource: atSource,
    revocation: chain.revocation,
  };
  examined.chainLongTerm = chain.longTerm;
  return examined;
}

async function examineDocumentTimestamp(
  examined: Examined,
  token: Uint8Array,
  content: Uint8Array,
  context: VerificationContext,
): Promise<Examined> {
  const checked = await examineTimestamp(token, content, [], context, 'document time-stamp');
  examined.findings.push(...checked.findings);
  if (checked.report) {
    examined.timestamp = checked.report;
    examined.integrity.digestMatches = checked.report.imprintMatches;
    examined.integrity.signatureValid = checked.report.signatureValid;
    examined.timestampValid = checked.valid;
    examined.timestampLongTerm = checked.longTerm;
    examined.timestampLink = linkOf(checked, 'document-timestamp', examined);
    if (checked.token?.tsaCertificate) examined.signer = checked.token.tsaCertificate;
    if (checked.token?.cms.digestAlgorithm)
      examined.integrity.digestAlgorithm = checked.token.cms.digestAlgorithm;
    if (checked.token?.cms.signatureAlgorithm)
      examined.integrity.signatureAlgorithm = checked.token.cms.signatureAlgorithm;
  }
  return examined;
}

interface CheckedTimestamp {
  report?: TimestampReport;
  token?: TimestampToken;
  valid: boolean;
  longTerm: boolean;
  genTime?: Date;
  /** The TSA's path and its revocation answers at genTime. */
  chain?: CheckedChain;
  findings: Finding[];
}

function linkOf(
  checked: CheckedTimestamp,
  kind: TimestampKind,
  examined: Examined,
): TimestampLink | undefined {
  if (!checked.genTime || !checked.chain) return undefined;
  return {
    kind,
    fieldName: examined.field.name,
    revision: examined.signedRevision,
    genTime: checked.genTime,
    validAtGenTime: checked.valid,
    path: checked.chain.path.certificates,
    revocation: checked.chain.revocation,
  };
}

/** A time-stamp token: its imprint, the TSA's signature, the TSA's path at genTime. */
async function examineTimestamp(
  tokenDer: Uint8Array,
  imprinted: Uint8Array,
  extraCertificates: ParsedCertificate[],
  context: VerificationContext,
  what: string,
): Promise<CheckedTimestamp> {
  const token = checkTimestampToken(tokenDer, imprinted);
  if ('malformed' in token) return { valid: false, longTerm: false, findings: [token.malformed] };
  const findings = [...token.findings];
  let trusted = false;
  let longTerm = false;
  let checkedChain: CheckedChain | undefined;
  if (token.tsaCertificate) {
    const pool = certificatePool([...token.cms.certificates, ...extraCertificates], context);
    const chain = await examineChain(
      token.tsaCertificate,
      pool,
      token.genTime,
      'timestamping',
      'TSA',
      embeddedRevocation(token.cms, context),
      context,
    );
    trusted = chain.path.trusted;
    longTerm = chain.longTerm;
    checkedChain = chain;
    findings.push(...chain.findings.map((f) => ({ ...f, message: `${what}: ${f.message}` })));
  } else {
    findings.push(
      finding(
        'TIMESTAMP_TSA_CERTIFICATE_MISSING',
        'error',
        `${what}: the token does not carry the TSA certificate`,
      ),
    );
  }
  const valid = token.imprintMatches && token.signatureValid && trusted && verdictOf(findings) === 'valid';
  return {
    token,
    valid,
    longTerm,
    genTime: token.genTime,
    ...(checkedChain ? { chain: checkedChain } : {}),
    findings,
    report: {
      time: token.genTime.toISOString(),
      tsaName: token.tsaName,
      imprintMatches: token.imprintMatches,
      signatureValid: token.signatureValid,
      trusted,
      ...(token.tsaCertificate ? { tsaCertificate: token.tsaCertificate.summary() } : {}),
      findings,
    },
  };
}

interface CheckedChain {
  path: CertificatePath;
  revocation: RevocationCheck[];
  /** Every non-anchor certificate's revocation answer came from the DSS. */
  longTerm: boolean;
  findings: Finding[];
}

async function examineChain(
  leaf: ParsedCertificate,
  pool: ParsedCertificate[],
  at: Date,
  purpose: CertificatePurpose,
  what: string,
  embedded: RevocationData,
  context: VerificationContext,
): Promise<CheckedChain> {
  const path = buildPath(leaf, pool, context.anchors);
  const findings = checkPath(path, at, purpose, what);
  if (!path.trusted) findings.push(untrustedFinding(path, what));
  const revocation: RevocationCheck[] = [];
  let longTerm = path.trusted;
  const certificates = path.certificates;
  for (let i = 0; i + 1 < certificates.length; i++) {
    const certificate = certificates[i] as ParsedCertificate;
    const issuer = certificates[i + 1] as ParsedCertificate;
    let check = checkRevocation(certificate, issuer, at, embedded, pool);
    // A time-stamp proves its time only while its TSA stays unrevoked (longTerm.ts), up to the
    // validation time; what the file captured at sealing cannot tell a revocation since, so a
    // TSA's path is asked live too when that is allowed.
    const askLive = check.status === 'not-checked' || purpose === 'timestamping';
    if (askLive && context.options.revocation === 'embedded-then-live') {
      const live = await liveRevocationOf(certificate, issuer, context);
      if (live.ocspResponses.length + live.crls.length > 0) {
        const combined = {
          ocspResponses: [...embedded.ocspResponses, ...live.ocspResponses],
          crls: [...embedded.crls, ...live.crls],
        };
        check = checkRevocation(certificate, issuer, at, combined, pool);
      }
      if (live.errors.length > 0)
        check = { ...check, message: `${check.message}; live look-up failed: ${live.errors.join('; ')}` };
    }
    const { ignored: _ignored, ...report } = check;
    revocation.push(report);
    if (check.source !== 'dss') longTerm = false;
    if (check.status === 'revoked') {
      findings.push(
        finding(
          what === 'signer' ? 'CERTIFICATE_REVOKED' : 'TSA_CERTIFICATE_REVOKED',
          'error',
          check.message,
        ),
      );
    } else if (
      check.status === 'not-checked' &&
      (certificate.ocspUrls().length > 0 || certificate.crlUrls().length > 0)
    ) {
      findings.push(finding('REVOCATION_NOT_CHECKED', 'warning', check.message));
    } else if (check.status === 'unknown') {
      findings.push(finding('REVOCATION_UNKNOWN', 'warning', check.message));
    }
  }
  return { path, revocation, longTerm, findings };
}

function liveRevocationOf(
  certificate: ParsedCertificate,
  issuer: ParsedCertificate,
  context: VerificationContext,
): Promise<LiveRevocation> {
  const key = `${certificate.sha256}:${issuer.sha256}`;
  let answer = context.liveRevocation.get(key);
  if (!answer) {
    answer = fetchLiveRevocation(certificate, issuer, {
      outbound: context.options.outbound ?? defaultOutboundClient(),
      timeoutMs: context.options.liveTimeoutMs ?? 5000,
    });
    context.liveRevocation.set(key, answer);
  }
  return answer;
}

/** Certificates to build paths from: those of the CMS and those of the /DSS. */
function certificatePool(fromCms: ParsedCertificate[], context: VerificationContext): ParsedCertificate[] {
  return parseCertificates([...fromCms.map((c) => c.der), ...(context.dss?.certificates ?? [])]);
}

/**
 * Revocation data in the file: the /DSS, the CMS `crls` field, and Adobe's signed
 * revocationInfoArchival attribute (ISO 32000-1 §12.8.3.3.2):
 *   RevocationInfoArchival ::= SEQUENCE { crl [0] EXPLICIT SEQUENCE OF CRLs OPTIONAL,
 *     ocsp [1] EXPLICIT SEQUENCE OF OCSPResponse OPTIONAL, otherRevInfo [2] … OPTIONAL }
 */
function embeddedRevocation(cms: CmsVerification, context: VerificationContext): RevocationData {
  const data: RevocationData = {
    ocspResponses: (context.dss?.ocspResponses ?? []).map((der) => ({ der, source: 'dss' as const })),
    crls: [
      ...(context.dss?.crls ?? []).map((der) => ({ der, source: 'dss' as const })),
      ...cms.crls.map((der) => ({ der, source: 'cms' as const })),
    ],
  };
  const archival = cms.signedAttributes.get(ADOBE_REVOCATION_INFO_ARCHIVAL)?.[0];
  for (const tagged of sequenceItems(archival)) {
    if (!(tagged instanceof asn1js.Constructed)) continue;
    const list = sequenceItems(tagged.valueBlock.value[0] as asn1js.AsnType);
    const ders = list.map((item) => ({ der: new Uint8Array(item.toBER()), source: 'cms' as const }));
    if (tagged.idBlock.tagNumber === 0) data.crls.push(...ders);
    if (tagged.idBlock.tagNumber === 1) data.ocspResponses.push(...ders);
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// After every signature was examined: coverage, levels and verdicts, which depend on the others.
// ---------------------------------------------------------------------------------------------

function finishSignature(
  examined: Examined,
  all: Examined[],
  certifications: Examined[],
  proof: ProofChain,
  context: VerificationContext,
): SignatureReport {
  const findings = [...examined.findings];
  const outcome = examined.timestampLink ? proof.outcomes.get(examined.timestampLink) : undefined;
  const lapse = examined.timestampLink && outcome ? lapseFinding(examined.timestampLink, outcome) : undefined;
  if (lapse) findings.push(lapse);
  const unproven = proofOfExistenceMissing(examined, proof, context);
  if (unproven) findings.push(unproven);
  const timestamp =
    examined.timestamp && outcome ? withControlTime(examined.timestamp, outcome) : examined.timestamp;
  const coverage = coverageOf(examined, certifications, context);
  const level = examined.dictionary.kind === 'signature' ? padesLevelOf(examined, all, context) : undefined;
  const signer = examined.signer?.summary();
  return {
    fieldName: examined.field.name,
    kind: examined.dictionary.kind,
    ...(examined.dictionary.subFilter ? { subFilter: examined.dictionary.subFilter } : {}),
    ...(signer ? { signer } : {}),
    ...(examined.dictionary.claimedTime
      ? { claimedTime: examined.dictionary.claimedTime.toISOString() }
      : {}),
    ...(timestamp ? { timestamp } : {}),
    integrity: examined.integrity,
    ...(examined.chain ? { chain: examined.chain } : {}),
    coverage,
    ...(level ? { padesLevel: level } : {}),
    verdict: verdictOf(findings),
    findings,
  };
}

function withControlTime(report: TimestampReport, outcome: LinkOutcome): TimestampReport {
  const control = outcome.controlTime;
  return {
    ...report,
    controlTime: {
      time: control.time.toISOString(),
      source: control.source,
      ...(control.source === 'document-timestamp' ? { fieldName: control.fieldName } : {}),
    },
  };
}

/**
 * A signature judged at its claimed time (/M: no valid signature time-stamp) whose path has
 * expired by the validation time needs a proven document time-stamp from before that expiry;
 * without one nothing shows it was made while the path was valid.
 */
function proofOfExistenceMissing(
  examined: Examined,
  proof: ProofChain,
  context: VerificationContext,
): Finding | undefined {
  if (examined.chain?.checkedAtSource !== 'claimed-time') return undefined;
  const expiry = pathExpiry(examined.signerPath);
  if (!expiry || context.now <= expiry.expiresAt) return undefined;
  if (new Date(examined.chain.checkedAt) > expiry.expiresAt) return undefined; // already CERTIFICATE_EXPIRED
  const existence = proof.existenceProof(examined.signedRevision);
  if (existence && existence.time <= expiry.expiresAt) return undefined;
  return finding(
    'NO_PROOF_OF_EXISTENCE',
    'indeterminate',
    `"${expiry.certificate.displayName}" in the signer's path expired on ${expiry.expiresAt.toISOString()}, and no time-stamp proves the signature was made before it did`,
  );
}

function coverageOf(
  examined: Examined,
  certifications: Examined[],
  context: VerificationContext,
): CoverageReport {
  const total = context.boundaries.length;
  const signedRevision = examined.signedRevision;
  const coversWholeFile = examined.signedEnd !== undefined && isWholeFile(context.pdf, examined.signedEnd);
  const changes: Change[] = [];
  let docMdpPermission: DocMdpPermission | undefined;
  if (signedRevision !== undefined) {
    for (let step = signedRevision + 1; step < total; step++) {
      const permission = docMdpInForce(certifications, step);
      if (permission !== undefined) docMdpPermission = permission;
      changes.push(...changesOfStep(step, permission, context));
    }
  }
  const modifications =
    changes.length === 0
      ? 'untouched'
      : changes.some((c) => !c.allowed)
        ? 'disallowed-changes'
        : 'allowed-changes';
  return {
    coversWholeFile,
    ...(signedRevision !== undefined ? { signedRevision: signedRevision + 1 } : {}),
    totalRevisions: total,
    changes,
    modifications,
    ...(docMdpPermission ? { docMdpPermission } : {}),
  };
}

/** A signed range "covers the whole file" when only end-of-line characters follow it. */
function isWholeFile(pdf: Uint8Array, signedEnd: number): boolean {
  for (let i = signedEnd; i < pdf.length; i++) {
    if (pdf[i] !== 0x0a && pdf[i] !== 0x0d) return false;
  }
  return true;
}

/** The most restrictive DocMDP permission of a certification signature that signed a revision before `step`. */
function docMdpInForce(certifications: Examined[], step: number): DocMdpPermission | undefined {
  const permissions = certifications
    .filter((c) => (c.signedRevision ?? Number.POSITIVE_INFINITY) < step)
    .map((c) => c.dictionary.docMdpPermission as DocMdpPermission);
  return permissions.length > 0 ? (Math.min(...permissions) as DocMdpPermission) : undefined;
}

function changesOfStep(
  step: number,
  docMdp: DocMdpPermission | undefined,
  context: VerificationContext,
): Change[] {
  const key = `${step}:${docMdp ?? '-'}`;
  const cached = context.steps.get(key);
  if (cached) return cached;
  const before = context.revisions[step - 1];
  const after = context.revisions[step];
  const changes =
    before && after
      ? compareRevisions(before, after, step + 1, docMdp ? { docMdp } : {})
      : [
          {
            revision: step + 1,
            allowed: false,
            rule: 'structure',
            message: `revision ${step + 1} cannot be parsed, so what it changed cannot be judged`,
          },
        ];
  context.steps.set(key, changes);
  return changes;
}

/**
 * ETSI EN 319 142-1 §6: B-B is a CAdES-detached signature with a signing certificate reference
 * and no signing-time; B-T adds a trusted time (signature time-stamp or a later document
 * time-stamp); B-LT puts the validation data of every path into the DSS; B-LTA covers that DSS
 * with a document time-stamp.
 */
function padesLevelOf(
  examined: Examined,
  all: Examined[],
  context: VerificationContext,
): PadesLevel | undefined {
  const intact =
    examined.integrity.byteRangeValid &&
    examined.integrity.digestMatches &&
    examined.integrity.signatureValid;
  const signingCertificateBound =
    examined.signingCertificate === 'v2-matches' || examined.signingCertificate === 'v1-matches';
  if (
    !intact ||
    examined.dictionary.subFilter !== PADES_SUBFILTER ||
    !signingCertificateBound ||
    examined.hasSigningTime
  ) {
    return undefined;
  }
  const revision = examined.signedRevision ?? Number.POSITIVE_INFINITY;
  const laterDocumentTimestamps = all.filter(
    (other) =>
      other.dictionary.kind === 'document-timestamp' &&
      other.timestampValid &&
      (other.signedRevision ?? -1) > revision,
  );
  if (!examined.timestampValid && laterDocumentTimestamps.length === 0) return 'B-B';
  const timestampLongTerm = examined.timestampValid
    ? examined.timestampLongTerm
    : laterDocumentTimestamps.some((t) => t.timestampLongTerm);
  if (!examined.chainLongTerm || !timestampLongTerm) return 'B-T';
  const coversDss = laterDocumentTimestamps.some((t) => {
    const signedDocument = context.revisions[t.signedRevision ?? -1];
    return signedDocument !== undefined && readDss(signedDocument, context.budget) !== undefined;
  });
  return coversDss ? 'B-LTA' : 'B-LT';
}

function fileFindings(
  pdf: Uint8Array,
  boundaries: RevisionBoundary[],
  signatures: SignatureReport[],
): Finding[] {
  const findings: Finding[] = [];
  if (signatures.length === 0) {
    findings.push(finding('NO_SIGNATURES', 'indeterminate', 'the document carries no signature'));
    return findings;
  }
  const lastEnd = boundaries.at(-1)?.end ?? 0;
  if (!isWholeFile(pdf, lastEnd) && pdf.subarray(lastEnd).some((b) => b > 0x20)) {
    findings.push(
      finding(
        'TRAILING_DATA',
        'warning',
        'the file has data after its last %%EOF, which no revision accounts for',
      ),
    );
  }
  // A proof of time that ran out is the file's headline, under its own code: the newest
  // document time-stamp's first, as renewing the archive is what would have kept it.
  const lapsed = signatures
    .filter((s) => s.verdict === 'indeterminate')
    .flatMap((s) =>
      s.findings
        .filter((f) => LONG_TERM_CODES.has(f.code))
        .map((f) => ({
          kind: s.kind,
          finding: finding(f.code, 'indeterminate', `${describe(s)}: ${f.message}`),
        })),
    );
  findings.push(
    ...lapsed
      .filter((l) => l.kind === 'document-timestamp')
      .reverse()
      .map((l) => l.finding),
    ...lapsed.filter((l) => l.kind !== 'document-timestamp').map((l) => l.finding),
  );
  for (const signature of signatures) {
    if (signature.verdict === 'invalid') {
      findings.push(finding('SIGNATURE_INVALID', 'error', `${describe(signature)} is invalid`));
    } else if (signature.verdict === 'indeterminate') {
      const undecided = signature.findings.filter((f) => f.severity === 'indeterminate');
      const others = undecided.filter((f) => !LONG_TERM_CODES.has(f.code));
      if (others.length > 0) {
        findings.push(
          finding(
            'SIGNATURE_INDETERMINATE',
            'indeterminate',
            `${describe(signature)} cannot be confirmed: ${others.map((f) => f.message).join('; ')}`,
          ),
        );
      }
    }
  }
  const seen = new Set<string>();
  for (const change of signatures.flatMap((s) => s.coverage.changes)) {
    const key = `${change.revision}:${change.message}`;
    if (change.allowed || seen.has(key)) continue;
    seen.add(key);
    findings.push(
      finding('DISALLOWED_CHANGE', 'error', `not allowed: ${change.message} (revision ${change.revision})`),
    );
  }
  const lastRevisionSigned = signatures.some((s) => s.coverage.signedRevision === boundaries.length);
  if (!lastRevisionSigned && seen.size === 0) {
    findings.push(
      finding(
        'UNSIGNED_LAST_REVISION',
        'warning',
        'the last revision is not covered by any signature; its changes were judged allowed',
      ),
    );
  }
  return findings;
}

function describe(signature: SignatureReport): string {
  const kind = signature.kind === 'document-timestamp' ? 'document time-stamp' : 'signature';
  return `${kind} '${signature.fieldName}'`;
}
