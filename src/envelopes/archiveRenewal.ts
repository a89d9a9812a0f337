import { appendAuditEvent, SYSTEM_ACTOR } from '../evidence/auditLog.ts';
import { type RenewalServices, renewArchiveTimestamp } from '../pdf/archiveRenewal.ts';
import type { Platform } from '../platform.ts';
import { type ArchiveHorizon, archiveHorizon } from '../verify/archiveHorizon.ts';
import { loadEnvelopeById, recordRenewedSeal } from './aggregate/store.ts';

/*
 * The `archive.renew` job (issue #13, "valid for decades"): a sealed PAdES B-LTA file stays
 * provable only while its newest archive time-stamp's certificates hold (3 years for the built-in
 * TSA). Each day the job reads the newest sealed version of envelopes whose horizon is unknown or
 * within ARCHIVE_RENEWAL_MARGIN_DAYS, or whose time-stamp rests on a retired algorithm, and adds
 * fresh validation data and a new archive time-stamp (pdf/archiveRenewal.ts). The result is a
 * new version stored beside the old one — never in its place — the envelope's download and
 * evidence name it, and the audit trail records it. A renewal that would not push the horizon
 * out (the TSA's own certificate ends no later than before) is not stored: the operator must
 * renew the TSA's certificate, and the log says so every day until they do.
 */

export type RenewalOutcome =
  | { envelopeId: string; outcome: 'renewed'; version: number; sha256: string; archiveExpiresAt: Date }
  | { envelopeId: string; outcome: 'not-due'; archiveExpiresAt: Date }
  | { envelopeId: string; outcome: 'no-archive-timestamp' }
  | { envelopeId: string; outcome: 'no-progress'; archiveExpiresAt: Date }
  | { envelopeId: string; outcome: 'superseded' };

export interface RenewalOptions {
  /** The time the margin counts from (default now). */
  now?: Date;
  /** Renew even when not due (`signet renew`, tests). */
  force?: boolean;
  /** The TSA and revocation data to renew with (default the platform's). */
  services?: RenewalServices;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Envelopes looked at per run; the next run takes the rest. */
const BATCH = 200;

/** One pass of the job: every envelope whose newest sealed version is due, or not yet looked at. */
export async function renewDueArchives(
  platform: Platform,
  options: RenewalOptions = {},
): Promise<RenewalOutcome[]> {
  const cutoff = cutoffOf(platform, options.now);
  const due = await platform.db.query<{ envelope_id: string }>(
    `select v.envelope_id from sealed_versions v
       join envelopes e on e.id = v.envelope_id and e.sealed_sha256 = v.sha256
      where v.archive_checked_at is null or v.archive_expires_at < $1
      order by v.archive_expires_at nulls first limit $2`,
    [cutoff, BATCH],
  );
  const outcomes: RenewalOutcome[] = [];
  for (const { envelope_id } of due) {
    try {
      outcomes.push(await renewEnvelopeArchive(platform, envelope_id, options));
    } catch (error) {
      // One file that cannot be renewed (a TSA down, a damaged blob) does not stop the others.
      platform.log.error({ err: error, envelopeId: envelope_id }, 'archive renewal failed');
    }
  }
  return outcomes;
}

/** Renews one envelope's newest sealed version when it is due (or `force`). */
export async function renewEnvelopeArchive(
  platform: Platform,
  envelopeId: string,
  options: RenewalOptions = {},
): Promise<RenewalOutcome> {
  const newest = await newestVersion(platform, envelopeId);
  const bytes = await platform.blobs.get(newest.sha256);
  const trustAnchors = [platform.pki.rootDer];
  const horizon = await archiveHorizon(bytes, { trustAnchors });
  if (horizon?.kind !== 'document-timestamp') {
    await markChecked(platform, envelopeId, newest.version, null);
    return { envelopeId, outcome: 'no-archive-timestamp' };
  }
  const retired = usesRetiredAlgorithm(platform, horizon);
  if (!options.force && !retired && horizon.expiresAt >= cutoffOf(platform, options.now)) {
    await markChecked(platform, envelopeId, newest.version, horizon.expiresAt);
    return { envelopeId, outcome: 'not-due', archiveExpiresAt: horizon.expiresAt };
  }
  const renewed = await renewArchiveTimestamp(bytes, options.services ?? platform.pki.pades);
  const after = await archiveHorizon(renewed, { trustAnchors });
  if (!after || (after.expiresAt <= horizon.expiresAt && !retired)) {
    await markChecked(platform, envelopeId, newest.version, horizon.expiresAt);
    platform.log.warn(
      { envelopeId, archiveExpiresAt: horizon.expiresAt, tsaCertificateExpiresAt: after?.expiresAt },
      'archive time-stamp not renewed: the TSA certificate expires no later than the current one; renew the TSA certificate',
    );
    return { envelopeId, outcome: 'no-progress', archiveExpiresAt: horizon.expiresAt };
  }
  const stored = await platform.blobs.put(renewed);
  const version = newest.version + 1;
  const recorded = await platform.db.transaction(async (tx) => {
    const inserted = await tx.query(
      `insert into sealed_versions (envelope_id, version, sha256, size, reason, archive_expires_at, archive_checked_at)
       values ($1, $2, $3, $4, 'renewal', $5, now()) on conflict do nothing returning version`,
      [envelopeId, version, stored.sha256, stored.size, after.expiresAt],
    );
    // Another process renewed the same version first: its result stands.
    if (inserted.length === 0) return false;
    await recordRenewedSeal(tx, envelopeId, stored);
    await appendAuditEvent(tx, envelopeId, 'envelope.archive_renewed', SYSTEM_ACTOR, {
      version,
      sha256: stored.sha256,
      size: stored.size,
      previousSha256: newest.sha256,
      previousArchiveExpiresAt: horizon.expiresAt.toISOString(),
      archiveExpiresAt: after.expiresAt.toISOString(),
      ...(retired ? { retiredAlgorithm: true } : {}),
    });
    return true;
  });
  if (!recorded) return { envelopeId, outcome: 'superseded' };
  return {
    envelopeId,
    outcome: 'renewed',
    version,
    sha256: stored.sha256,
    archiveExpiresAt: after.expiresAt,
  };
}

/** The sealed versions of an envelope, oldest first (the first is the seal's). */
export async function sealedVersions(platform: Platform, envelopeId: string) {
  return platform.db.query<{
    version: number;
    sha256: string;
    size: number;
    created_at: Date;
    reason: 'seal' | 'renewal';
    archive_expires_at: Date | null;
  }>(
    `select version, sha256, size, created_at, reason, archive_expires_at
       from sealed_versions where envelope_id = $1 order by version`,
    [envelopeId],
  );
}

async function newestVersion(platform: Platform, envelopeId: string) {
  const envelope = await loadEnvelopeById(platform.db, envelopeId);
  const [row] = await platform.db.query<{ version: number; sha256: string }>(
    'select version, sha256 from sealed_versions where envelope_id = $1 order by version desc limit 1',
    [envelope.id],
  );
  if (!row) throw new Error(`envelope ${envelopeId} has no sealed version`);
  return row;
}

async function markChecked(platform: Platform, envelopeId: string, version: number, expiresAt: Date | null) {
  await platform.db.query(
    `update sealed_versions set archive_checked_at = now(), archive_expires_at = $3
      where envelope_id = $1 and version = $2`,
    [envelopeId, version, expiresAt],
  );
}

function cutoffOf(platform: Platform, now = new Date()): Date {
  return new Date(now.getTime() + platform.config.archiveRenewal.marginDays * DAY_MS);
}

function usesRetiredAlgorithm(platform: Platform, horizon: ArchiveHorizon): boolean {
  const retired = platform.config.archiveRenewal.retiredAlgorithms;
  return [horizon.imprintAlgorithm, horizon.digestAlgorithm]
    .filter((name): name is string => typeof name === 'string')
    .some((name) => retired.includes(name.toLowerCase()));
}
