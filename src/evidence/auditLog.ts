import type { Database, Sql } from '../db/database.ts';
import { lockAuditHead, recordAuditHead } from '../envelopes/aggregate/store.ts';
import {
  type AuditEventContent,
  type ChainedAuditEvent,
  type ChainProblem,
  GENESIS_HASH,
  hashAuditEvent,
  verifyAuditChain,
} from './auditChain.ts';

/** Who did something and from where; `actor` is e.g. `api-key:<id>`, `recipient:<id>`, `system`. */
export interface AuditActor {
  actor: string;
  ip?: string | null;
  userAgent?: string | null;
}

export const SYSTEM_ACTOR: AuditActor = { actor: 'system' };

/**
 * Told of every event appended to a database's chains, inside the transaction that makes the
 * change, after the event is stored: what follows from a transition (a webhook message and its
 * delivery job) commits or rolls back with it. The composition root subscribes (webhooks:
 * src/webhooks/events.ts); evidence/ knows nothing of who listens.
 */
export type AuditSubscriber = (tx: Sql, event: ChainedAuditEvent, organizationId: string) => Promise<void>;

const subscribers = new WeakMap<Database, AuditSubscriber[]>();

/** Subscribes to the events appended on `db`; returns the unsubscribe. */
export function subscribeToAuditEvents(db: Database, subscriber: AuditSubscriber): () => void {
  subscribers.set(db, [...(subscribers.get(db) ?? []), subscriber]);
  return () =>
    subscribers.set(
      db,
      (subscribers.get(db) ?? []).filter((other) => other !== subscriber),
    );
}

/**
 * Appends one event to an envelope's chain. Must run inside the transaction that makes the
 * change it records; the row lock on the envelope serialises concurrent appends.
 */
export async function appendAuditEvent(
  tx: Sql,
  envelopeId: string,
  type: string,
  who: AuditActor,
  data: Record<string, unknown> = {},
): Promise<ChainedAuditEvent> {
  const head = await lockAuditHead(tx, envelopeId, 'update');
  if (!head) throw new Error(`audit append for unknown envelope ${envelopeId}`);
  const content: AuditEventContent = {
    envelopeId,
    seq: head.audit_count + 1,
    type,
    actor: who.actor,
    ip: who.ip ?? null,
    userAgent: who.userAgent ?? null,
    at: new Date().toISOString(),
    data,
  };
  const prevHash = head.audit_head_hash ?? GENESIS_HASH;
  const hash = hashAuditEvent(content, prevHash);
  await tx.query(
    `insert into audit_events (envelope_id, seq, organization_id, type, actor, ip, user_agent, at, data, prev_hash, hash)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      envelopeId,
      content.seq,
      head.organization_id,
      type,
      content.actor,
      content.ip,
      content.userAgent,
      content.at,
      JSON.stringify(data),
      prevHash,
      hash,
    ],
  );
  await recordAuditHead(tx, envelopeId, content.seq, hash);
  const event: ChainedAuditEvent = { ...content, prevHash, hash };
  for (const subscriber of subscribers.get(tx.database) ?? []) {
    await subscriber(tx, event, head.organization_id);
  }
  return event;
}

interface AuditRow {
  envelope_id: string;
  seq: number;
  type: string;
  actor: string;
  ip: string | null;
  user_agent: string | null;
  at: Date;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export async function readAuditEvents(sql: Sql, envelopeId: string): Promise<ChainedAuditEvent[]> {
  const rows = await sql.query<AuditRow>('select * from audit_events where envelope_id = $1 order by seq', [
    envelopeId,
  ]);
  return rows.map((row) => ({
    envelopeId: row.envelope_id,
    seq: row.seq,
    type: row.type,
    actor: row.actor,
    ip: row.ip,
    userAgent: row.user_agent,
    at: new Date(row.at).toISOString(),
    data: row.data,
    prevHash: row.prev_hash,
    hash: row.hash,
  }));
}

export interface AuditVerification {
  envelopeId: string;
  events: number;
  ok: boolean;
  problems: ChainProblem[];
  /** The events that were checked, in order, and the chain head recorded on the envelope. */
  checked: ChainedAuditEvent[];
  recordedHead: string | null;
}

/**
 * Checks an envelope's chain against the head recorded on the envelope. Head and events are
 * read under a share lock on the envelope row, which appenders (`for update`) must wait for,
 * so an event committed between the two reads cannot look like tampering.
 */
export async function verifyEnvelopeAudit(db: Database, envelopeId: string): Promise<AuditVerification> {
  return db.transaction(async (tx) => {
    const head = await lockAuditHead(tx, envelopeId, 'share');
    if (!head) throw new Error(`unknown envelope ${envelopeId}`);
    const events = await readAuditEvents(tx, envelopeId);
    const problems = verifyAuditChain(events, { count: head.audit_count, hash: head.audit_head_hash });
    return {
      envelopeId,
      events: events.length,
      ok: problems.length === 0,
      problems,
      checked: events,
      recordedHead: head.audit_head_hash,
    };
  });
}
