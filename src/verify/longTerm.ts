import type { ParsedCertificate } from './certificates.ts';
import { type Finding, finding, type RevocationCheck } from './report.ts';

/*
 * Long-term validation (after ETSI EN 319 102-1 §5.6.2.1 and §5.6.3, simplified): a time-stamp
 * proves that what it covers existed at its genTime only while its TSA's certificate path can
 * still be trusted. So each time-stamp's path must still hold — not expired, not revoked, the
 * token already made — at its control time: the time proven by the next document time-stamp
 * that covers it (which must itself be proven, and so on up), or, for the newest, the
 * validation time. Signatures below a proven time-stamp are judged at the time it proves
 * (B-LTA); a broken link leaves what it covers unproven — INDETERMINATE, never invalid: the
 * signature may well be good, it just can no longer be shown to be.
 */

export type TimestampKind = 'signature-timestamp' | 'document-timestamp';

/** A time-stamp as the long-term check needs it: what it covers, when, and by whose certificates. */
export interface TimestampLink {
  kind: TimestampKind;
  /** The field of the signature or document time-stamp the token belongs to. */
  fieldName: string;
  /**
   * The 0-based revision the token belongs to: a document time-stamp's own, a signature
   * time-stamp's signature's. A document time-stamp covers every token of an earlier revision.
   */
  revision: number | undefined;
  genTime: Date;
  /** The token held at its own genTime: imprint, TSA signature, trusted path, not revoked then. */
  validAtGenTime: boolean;
  /** The TSA's certificate path, leaf first. */
  path: ParsedCertificate[];
  /** The revocation answer for each certificate of the path below the anchor, as found at genTime. */
  revocation: RevocationCheck[];
}

export type ControlTime =
  | { time: Date; source: 'validation-time' }
  | { time: Date; source: 'document-timestamp'; fieldName: string };

/** Why a time-stamp no longer proves its genTime at its control time. */
export type Lapse =
  | { kind: 'made-later'; genTime: Date }
  | { kind: 'expired' | 'revoked'; certificate: string; leaf: boolean; on: Date };

export interface LinkOutcome {
  controlTime: ControlTime;
  lapses: Lapse[];
  /** Valid at its genTime and its path still held at its control time: its genTime is proven. */
  proven: boolean;
}

export interface ExistenceProof {
  time: Date;
  fieldName: string;
}

export interface ProofChain {
  /** For each link that was valid at its genTime. */
  outcomes: Map<TimestampLink, LinkOutcome>;
  /** The earliest time a proven document time-stamp shows that `revision` existed. */
  existenceProof(revision: number | undefined): ExistenceProof | undefined;
}

/**
 * Decides every link from the newest document time-stamp down: each is checked at the earliest
 * time a proven later document time-stamp shows, or at `validationTime` when none does.
 */
export function proveChain(links: TimestampLink[], validationTime: Date): ProofChain {
  const outcomes = new Map<TimestampLink, LinkOutcome>();
  const proven: { revision: number; time: Date; fieldName: string }[] = [];
  const existenceProof = (revision: number | undefined): ExistenceProof | undefined => {
    if (revision === undefined) return undefined;
    const covering = proven
      .filter((p) => p.revision > revision)
      // Within one second (genTime's usual precision) the nearest revision is the proof.
      .sort((a, b) => a.time.getTime() - b.time.getTime() || a.revision - b.revision)[0];
    return covering ? { time: covering.time, fieldName: covering.fieldName } : undefined;
  };
  const decide = (link: TimestampLink): LinkOutcome => {
    const proof = existenceProof(link.revision);
    const controlTime: ControlTime = proof
      ? { time: proof.time, source: 'document-timestamp', fieldName: proof.fieldName }
      : { time: validationTime, source: 'validation-time' };
    const lapses = lapsesAt(link, provingTime(link, controlTime));
    const outcome = { controlTime, lapses, proven: lapses.length === 0 };
    outcomes.set(link, outcome);
    return outcome;
  };

  const documentTimestamps = links
    .filter((l) => l.kind === 'document-timestamp' && l.validAtGenTime && l.revision !== undefined)
    .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
  for (const link of documentTimestamps) {
    if (decide(link).proven)
      proven.push({ revision: link.revision ?? 0, time: link.genTime, fieldName: link.fieldName });
  }
  for (const link of links) {
    if (link.kind === 'signature-timestamp' && link.validAtGenTime) decide(link);
  }
  return { outcomes, existenceProof };
}

/**
 * Two TSAs' clocks may disagree by a little (RFC 3161 §2.4.2 accuracy, often ±1 s, and genTime
 * truncated to the second by many): a document time-stamp a few seconds "before" the token it
 * covers still proves it, as of the token's own time. Anything more is a real contradiction.
 */
export const TSA_CLOCK_TOLERANCE_MS = 10_000;

function provingTime(link: TimestampLink, control: ControlTime): Date {
  const behind = link.genTime.getTime() - control.time.getTime();
  return control.source === 'document-timestamp' && behind > 0 && behind <= TSA_CLOCK_TOLERANCE_MS
    ? link.genTime
    : control.time;
}

/** What keeps `link` from proving its genTime at `controlTime`; empty when nothing does. */
export function lapsesAt(link: TimestampLink, controlTime: Date): Lapse[] {
  if (controlTime < link.genTime) return [{ kind: 'made-later', genTime: link.genTime }];
  const lapses: Lapse[] = [];
  link.path.forEach((certificate, index) => {
    if (controlTime > certificate.notAfter) {
      lapses.push({
        kind: 'expired',
        certificate: certificate.displayName,
        leaf: index === 0,
        on: certificate.notAfter,
      });
    }
  });
  link.revocation.forEach((check, index) => {
    // Revoked at or before genTime was already an error; revoked since, the proof ends there.
    if (check.status === 'revoked' || !check.revokedAt) return;
    const on = new Date(check.revokedAt);
    if (on <= controlTime)
      lapses.push({ kind: 'revoked', certificate: check.certificate, leaf: index === 0, on });
  });
  return lapses;
}

/** The finding that says why `link` proves nothing any more, or undefined when it still does. */
export function lapseFinding(link: TimestampLink, outcome: LinkOutcome): Finding | undefined {
  const [first] = outcome.lapses;
  if (!first) return undefined;
  const archive = link.kind === 'document-timestamp';
  const prefix = archive ? 'ARCHIVE_TIMESTAMP' : 'SIGNATURE_TIMESTAMP';
  // A document time-stamp's findings are its own ("its"); a signature's also speak of its signer.
  const subject = archive ? 'it' : 'the signature time-stamp';
  const control = outcome.controlTime;
  if (first.kind === 'made-later') {
    const proving =
      control.source === 'validation-time'
        ? `after the validation time ${iso(control.time)}: it did not exist yet then`
        : `later than the time ${iso(control.time)} that document time-stamp '${control.fieldName}' covering it proves`;
    return finding(
      `${prefix}_NOT_YET_VALID`,
      'indeterminate',
      `${subject} was made at ${iso(first.genTime)}, ${proving}`,
    );
  }
  const revoked = outcome.lapses.some((l) => l.kind === 'revoked');
  const lapses = outcome.lapses.map((l) => describeLapse(l, archive ? 'its' : "the signature time-stamp's"));
  const context =
    control.source === 'document-timestamp'
      ? `before document time-stamp '${control.fieldName}' (${iso(control.time)}) covered it: it was renewed too late`
      : `before the validation time ${iso(control.time)}, ${
          archive
            ? 'and no later document time-stamp that still holds proves the file existed while it was trustworthy. Archive time-stamps must be renewed (signet renew) before the newest one’s certificates expire'
            : 'and no document time-stamp that still holds proves the signature existed while it was trustworthy (PAdES B-LTA, with archive time-stamps renewed in time)'
        }`;
  return finding(
    `${prefix}_${revoked ? 'REVOKED' : 'EXPIRED'}`,
    'indeterminate',
    `${lapses.join('; ')}, ${context}`,
  );
}

function describeLapse(lapse: Lapse, whose: string): string {
  if (lapse.kind === 'made-later') return `made at ${iso(lapse.genTime)}`;
  const certificate = lapse.leaf
    ? `${whose} TSA certificate "${lapse.certificate}"`
    : `the issuer certificate "${lapse.certificate}" in ${whose} TSA path`;
  return `${certificate} ${lapse.kind === 'expired' ? 'expired' : 'was revoked'} on ${iso(lapse.on)}`;
}

/** The earliest notAfter of a path and whose it is: after it, the path proves nothing new. */
export function pathExpiry(
  path: ParsedCertificate[],
): { expiresAt: Date; certificate: ParsedCertificate } | undefined {
  const first = [...path].sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime())[0];
  return first ? { expiresAt: first.notAfter, certificate: first } : undefined;
}

const iso = (date: Date) => date.toISOString();

/** Finding codes that say a proof of time ran out: the file-level findings name them on their own. */
export const LONG_TERM_CODES: ReadonlySet<string> = new Set(
  ['ARCHIVE_TIMESTAMP', 'SIGNATURE_TIMESTAMP'].flatMap((prefix) =>
    ['EXPIRED', 'REVOKED', 'NOT_YET_VALID'].map((kind) => `${prefix}_${kind}`),
  ),
);
