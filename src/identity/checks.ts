import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import type { IdentityKind, IdentityMethodInput } from './schema.ts';
import { hashSecret } from './secrets.ts';

/*
 * Each identity method of a recipient is one row of identity_checks, created with the
 * envelope. Its status moves pending → passed, or to failed (an outcome the signer may retry,
 * e.g. a SAML cancel) or locked (too many wrong codes; only the sender can unlock).
 */

export type CheckStatus = 'pending' | 'passed' | 'failed' | 'locked';

export interface IdentityCheckRow {
  id: string;
  organization_id: string;
  envelope_id: string;
  recipient_id: string;
  position: number;
  kind: IdentityKind;
  status: CheckStatus;
  reason: string | null;
  attempts: number;
  total_failures: number;
  secret_hash: string | null;
  secret_expires_at: Date | string | null;
  sends: number;
  last_sent_at: Date | string | null;
  settings: Record<string, unknown>;
  evidence: Record<string, unknown> | null;
  passed_at: Date | string | null;
}

/** What recipients.identity records: the methods, without their secrets. */
export function publicMethod(method: IdentityMethodInput): {
  kind: IdentityKind;
  [setting: string]: unknown;
} {
  if (method.kind === 'accessCode') return { kind: 'accessCode' };
  return { ...method };
}

export async function createIdentityChecks(
  tx: Sql,
  recipient: { id: string; envelopeId: string; organizationId: string },
  methods: IdentityMethodInput[],
): Promise<void> {
  for (const [position, method] of methods.entries()) {
    const secretHash = method.kind === 'accessCode' ? await hashSecret(method.code) : null;
    const { kind: _kind, ...settings } = publicMethod(method);
    await tx.query(
      `insert into identity_checks (id, organization_id, envelope_id, recipient_id, position, kind, secret_hash, settings)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        randomUUID(),
        recipient.organizationId,
        recipient.envelopeId,
        recipient.id,
        position,
        method.kind,
        secretHash,
        JSON.stringify(settings),
      ],
    );
  }
}

export async function loadIdentityChecks(
  sql: Sql,
  recipientId: string,
  options: { lock?: boolean } = {},
): Promise<IdentityCheckRow[]> {
  return sql.query<IdentityCheckRow>(
    `select * from identity_checks where recipient_id = $1 order by position${options.lock ? ' for update' : ''}`,
    [recipientId],
  );
}

export function findCheck(checks: IdentityCheckRow[], kind: IdentityKind): IdentityCheckRow {
  const check = checks.find((c) => c.kind === kind);
  if (!check) {
    throw new SignetError('IDENTITY_METHOD_NOT_REQUIRED', `This recipient has no ${kind} check.`);
  }
  return check;
}

export function allPassed(checks: IdentityCheckRow[]): boolean {
  return checks.every((c) => c.status === 'passed');
}

/** Refuses what only a verified recipient may do, naming the checks still open. */
export function assertIdentityVerified(checks: IdentityCheckRow[]): void {
  const open = checks.filter((c) => c.status !== 'passed');
  if (open.length === 0) return;
  throw new SignetError(
    'IDENTITY_REQUIRED',
    `Verify your identity first: ${open.map((c) => `${c.kind} (${c.status})`).join(', ')}.`,
  );
}

/** The signer's view of each check: never the secret, never the code. */
export function identityView(check: IdentityCheckRow) {
  return {
    kind: check.kind,
    status: check.status,
    reason: check.reason,
    ...(check.kind === 'otp'
      ? {
          channel: check.settings.channel as 'email' | 'sms',
          sentTo: maskDestination(String(check.settings.phone ?? '')),
          codeSent: check.sends > 0,
        }
      : {}),
  };
}

function maskDestination(phone: string): string | undefined {
  if (!phone) return undefined;
  return `${phone.slice(0, 3)}${'•'.repeat(Math.max(0, phone.length - 5))}${phone.slice(-2)}`;
}

export async function updateCheck(
  tx: Sql,
  checkId: string,
  change: Partial<{
    status: CheckStatus;
    reason: string | null;
    attempts: number;
    total_failures: number;
    secret_hash: string | null;
    secret_expires_at: Date | null;
    sends: number;
    last_sent_at: Date | null;
    evidence: Record<string, unknown> | null;
    passed_at: Date | null;
  }>,
): Promise<void> {
  const entries = Object.entries(change);
  if (entries.length === 0) return;
  const assignments = entries.map(([column], index) => `${column} = $${index + 2}`);
  const values = entries.map(([column, value]) =>
    column === 'evidence' && value !== null ? JSON.stringify(value) : value,
  );
  await tx.query(`update identity_checks set ${assignments.join(', ')}, updated_at = now() where id = $1`, [
    checkId,
    ...values,
  ]);
}
