import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SealedSecrets } from '../blobs/sealedSecrets.ts';
import type { Sql } from '../db/database.ts';

/*
 * The `idempotency_keys` table (migration 013): claiming a key, keeping the first answer,
 * releasing a claim, and the sweep. The HTTP side is idempotency.ts.
 */

/** How long a key and its answer are kept (Stripe's figure; the draft leaves it to the server). */
export const RETENTION_SECONDS = 24 * 60 * 60;

/**
 * An in-flight claim is held for this long and renewed by its process every third of it, so a
 * request that takes minutes (fifty documents to inspect) keeps its key, while a process that
 * died stops renewing and the key is free for a retry within a minute — the seal lease's idea
 * (envelopes/sealing.ts).
 */
export const LEASE_SECONDS = 60;

export interface KeyClaim {
  /** `api-key:<id>` or `user:<id>`: keys are scoped per principal. */
  principal: string;
  key: string;
  method: string;
  path: string;
  fingerprint: string;
}

/** A claim this process holds: only the attempt with this `claimId` may settle the row. */
export interface HeldClaim extends KeyClaim {
  claimId: string;
}

export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ClaimOutcome =
  | { kind: 'claimed'; claim: HeldClaim }
  /** The same request was answered before: replay this. */
  | { kind: 'answered'; answer: StoredAnswer }
  /** The same request was answered, but its answer was not kept. */
  | { kind: 'answered-not-stored'; status: number }
  /** The same request is running now. */
  | { kind: 'in-flight' }
  /** The key was first used for a different request. */
  | { kind: 'other-request'; method: string; path: string };

const keyRow = z.object({
  request_method: z.string(),
  request_path: z.string(),
  fingerprint: z.string(),
  state: z.enum(['in_flight', 'stored', 'not_stored']),
  response_status: z.number().int().nullable(),
  response_headers: z.record(z.string(), z.string()).nullable(),
  sealed_response_body: z.string().nullable(),
});

/**
 * Claims `claim.key` for this request in one statement (its own transaction): a new key is
 * inserted; a key past its 24 h, or an in-flight claim whose lease ran out, is taken over; any
 * other existing key is left alone and read back to say what it holds. Of concurrent claims
 * PostgreSQL lets exactly one insert (the primary key), the others then see its row.
 */
export async function claimKey(sql: Sql, secrets: SealedSecrets, claim: KeyClaim): Promise<ClaimOutcome> {
  // A row released (or swept) between the failed claim and the read is claimed again; a third
  // round would need a release between every two statements, and is answered as in flight.
  for (let round = 0; round < 2; round++) {
    const claimId = randomUUID();
    const [claimed] = await sql.query(
      `insert into idempotency_keys as k
         (principal, key, request_method, request_path, fingerprint, state, claim_id, lease_until, created_at)
       values ($1, $2, $3, $4, $5, 'in_flight', $6, now() + make_interval(secs => $7), now())
       on conflict (principal, key) do update set
         request_method = excluded.request_method, request_path = excluded.request_path,
         fingerprint = excluded.fingerprint, state = 'in_flight', claim_id = excluded.claim_id,
         lease_until = excluded.lease_until, created_at = excluded.created_at,
         response_status = null, response_headers = null, sealed_response_body = null
       where k.created_at <= now() - make_interval(secs => $8)
          or (k.state = 'in_flight' and k.lease_until <= now())
       returning claim_id`,
      [
        claim.principal,
        claim.key,
        claim.method,
        claim.path,
        claim.fingerprint,
        claimId,
        LEASE_SECONDS,
        RETENTION_SECONDS,
      ],
    );
    if (claimed) return { kind: 'claimed', claim: { ...claim, claimId } };
    const [row] = await sql.query(
      `select request_method, request_path, fingerprint, state, response_status, response_headers,
              sealed_response_body
         from idempotency_keys
        where principal = $1 and key = $2 and created_at > now() - make_interval(secs => $3)`,
      [claim.principal, claim.key, RETENTION_SECONDS],
    );
    if (row) return outcomeOf(keyRow.parse(row), claim, secrets);
  }
  return { kind: 'in-flight' };
}

function outcomeOf(row: z.infer<typeof keyRow>, claim: KeyClaim, secrets: SealedSecrets): ClaimOutcome {
  if (row.fingerprint !== claim.fingerprint) {
    return { kind: 'other-request', method: row.request_method, path: row.request_path };
  }
  if (row.state === 'in_flight') return { kind: 'in-flight' };
  const status = row.response_status ?? 0;
  if (row.state === 'not_stored' || row.sealed_response_body === null) {
    return { kind: 'answered-not-stored', status };
  }
  return {
    kind: 'answered',
    answer: { status, headers: row.response_headers ?? {}, body: secrets.open(row.sealed_response_body) },
  };
}

/** Pushes the lease of a claim still running forward (nothing, once it was settled). */
export async function renewClaim(sql: Sql, claim: HeldClaim): Promise<void> {
  await sql.query(
    `update idempotency_keys set lease_until = now() + make_interval(secs => $4)
      where principal = $1 and key = $2 and claim_id = $3 and state = 'in_flight'`,
    [claim.principal, claim.key, claim.claimId, LEASE_SECONDS],
  );
}

/**
 * Keeps the answer for replay — `answer` null when it is not kept (too large), so that a retry
 * is told so instead of running again. The body is sealed: an answer may carry a secret.
 */
export async function storeAnswer(
  sql: Sql,
  secrets: SealedSecrets,
  claim: HeldClaim,
  status: number,
  answer: StoredAnswer | null,
): Promise<void> {
  await sql.query(
    `update idempotency_keys
        set state = $4, response_status = $5, response_headers = $6, sealed_response_body = $7
      where principal = $1 and key = $2 and claim_id = $3 and state = 'in_flight'`,
    [
      claim.principal,
      claim.key,
      claim.claimId,
      answer ? 'stored' : 'not_stored',
      status,
      answer ? JSON.stringify(answer.headers) : null,
      answer ? secrets.seal(answer.body) : null,
    ],
  );
}

/** Frees the key for a retry: the request did not reach a final answer. */
export async function releaseClaim(sql: Sql, claim: HeldClaim): Promise<void> {
  await sql.query(
    `delete from idempotency_keys where principal = $1 and key = $2 and claim_id = $3 and state = 'in_flight'`,
    [claim.principal, claim.key, claim.claimId],
  );
}

/** Deletes keys past their 24 h (the maintenance job, hourly); a claim ignores them before that. */
export async function sweepIdempotencyKeys(sql: Sql): Promise<number> {
  const rows = await sql.query(
    `delete from idempotency_keys where created_at <= now() - make_interval(secs => $1) returning key`,
    [RETENTION_SECONDS],
  );
  return rows.length;
}
