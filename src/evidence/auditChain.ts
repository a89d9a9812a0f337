import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The audit trail is a hash chain per envelope (SPEC §D): each event's hash covers its own
 * content and the previous event's hash, serialised with RFC 8785 JSON canonicalisation so
 * the hash does not depend on key order or on how a database returns JSON.
 * Pure functions here; storage lives in auditLog.ts.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEventContent {
  envelopeId: string;
  seq: number;
  type: string;
  actor: string;
  ip: string | null;
  userAgent: string | null;
  at: string; // ISO 8601, millisecond precision
  data: Record<string, unknown>;
}

export interface ChainedAuditEvent extends AuditEventContent {
  prevHash: string;
  hash: string;
}

export function hashAuditEvent(content: AuditEventContent, prevHash: string): string {
  const canonical = canonicalize({ ...content, prevHash });
  if (canonical === undefined) throw new Error('audit event cannot be canonicalised');
  return createHash('sha256').update(canonical).digest('hex');
}

export interface ChainProblem {
  seq: number;
  problem: 'hash-mismatch' | 'broken-link' | 'sequence-gap' | 'head-mismatch' | 'count-mismatch';
  detail: string;
}

/**
 * Checks events (in stored seq order) against each other and against the head recorded on the
 * envelope. An edit breaks that event's hash; a deletion or reordering breaks a link or the
 * sequence; removing the newest events breaks the recorded head and count.
 */
export function verifyAuditChain(
  events: ChainedAuditEvent[],
  head: { count: number; hash: string | null },
): ChainProblem[] {
  const problems: ChainProblem[] = [];
  let prevHash = GENESIS_HASH;
  events.forEach((event, index) => {
    const expectedSeq = index + 1;
    if (event.seq !== expectedSeq) {
      problems.push({ seq: event.seq, problem: 'sequence-gap', detail: `expected event #${expectedSeq}` });
    }
    if (event.prevHash !== prevHash) {
      problems.push({ seq: event.seq, problem: 'broken-link', detail: 'does not follow the previous event' });
    }
    const { prevHash: storedPrev, hash, ...content } = event;
    if (hashAuditEvent(content, storedPrev) !== hash) {
      problems.push({
        seq: event.seq,
        problem: 'hash-mismatch',
        detail: 'content was changed after it was written',
      });
    }
    prevHash = hash;
  });
  if (events.length !== head.count) {
    problems.push({
      seq: events.length,
      problem: 'count-mismatch',
      detail: `envelope records ${head.count} events, ${events.length} found`,
    });
  }
  if ((events.at(-1)?.hash ?? null) !== head.hash) {
    problems.push({
      seq: events.length,
      problem: 'head-mismatch',
      detail: 'newest event is not the recorded head',
    });
  }
  return problems;
}
