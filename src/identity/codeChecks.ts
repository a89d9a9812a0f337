import type { Sql } from '../db/database.ts';
import {
  assertMayAct,
  openSession,
  recipientActor,
  type Session,
} from '../envelopes/aggregate/signerSession.ts';
import { loadEnvelope, loadRecipients } from '../envelopes/aggregate/store.ts';
import { SignetError } from '../errors.ts';
import { type AuditActor, appendAuditEvent } from '../evidence/auditLog.ts';
import type { Who } from '../http/who.ts';
import { loadMailFacts } from '../notify/envelopeFacts.ts';
import { oneTimeCodeMail } from '../notify/messages.ts';
import { eraseCodeMailBodies, queueMail } from '../notify/outbox.ts';
import { eraseCodeSmsBodies, queueSms } from '../notify/sms.ts';
import type { Platform } from '../platform.ts';
import { findCheck, type IdentityCheckRow, loadIdentityChecks, updateCheck } from './checks.ts';
import {
  ACCESS_CODE_MAX_FAILURES,
  ONE_TIME_CODE_MAX_ATTEMPTS,
  ONE_TIME_CODE_MAX_FAILURES,
  ONE_TIME_CODE_MAX_SENDS,
  ONE_TIME_CODE_TTL_MS,
  secondsUntilResend,
} from './policy.ts';
import { generateOneTimeCode, hashSecret, secretMatches } from './secrets.ts';

/*
 * The checks a signer passes by typing a code: the access code the sender gave them out of
 * band, and a one-time code sent to their mailbox or phone. Every attempt is audited (the code
 * itself never: not in the audit log, not in logs); wrong codes count towards a lockout.
 */

export async function verifyAccessCode(platform: Platform, token: string, code: string, who: Who) {
  return withCheck(platform, token, 'accessCode', async (tx, session, check) => {
    if (!check.secret_hash) throw new Error('access code check without a hash');
    const actor = recipientActor(session.recipient, who);
    const audit = { recipientId: session.recipient.id, kind: 'accessCode' };
    if (await secretMatches(code, check.secret_hash)) {
      await updateCheck(tx, check.id, {
        status: 'passed',
        reason: null,
        attempts: 0,
        passed_at: new Date(),
        evidence: { method: 'access code', ip: who.ip, userAgent: who.userAgent },
      });
      await appendAuditEvent(tx, session.envelope.id, 'identity.passed', actor, audit);
      return { passed: true };
    }
    const failures = check.total_failures + 1;
    const locked = failures >= ACCESS_CODE_MAX_FAILURES;
    await updateCheck(tx, check.id, {
      total_failures: failures,
      attempts: check.attempts + 1,
      status: locked ? 'locked' : 'pending',
      reason: locked ? 'IDENTITY_LOCKED' : 'ACCESS_CODE_WRONG',
    });
    await appendAuditEvent(tx, session.envelope.id, locked ? 'identity.locked' : 'identity.failed', actor, {
      ...audit,
      reason: 'ACCESS_CODE_WRONG',
      failures,
      limit: ACCESS_CODE_MAX_FAILURES,
    });
    return { passed: false, reason: locked ? 'IDENTITY_LOCKED' : 'ACCESS_CODE_WRONG', failures };
  });
}

/** Sends a fresh one-time code (the previous one stops working), within the resend limits. */
export async function sendOneTimeCode(platform: Platform, token: string, who: Who) {
  return withCheck(platform, token, 'otp', async (tx, session, check) => {
    const now = new Date();
    const wait = secondsUntilResend(asDate(check.last_sent_at), now);
    if (wait > 0) {
      throw new SignetError('OTP_RESEND_TOO_SOON', `Wait ${wait} s before asking for another code.`);
    }
    if (check.sends >= ONE_TIME_CODE_MAX_SENDS) {
      throw new SignetError(
        'OTP_SEND_LIMIT',
        'No more codes can be sent for this signing link; ask the sender to resend the envelope.',
      );
    }
    const code = generateOneTimeCode();
    const expiresAt = new Date(now.getTime() + ONE_TIME_CODE_TTL_MS);
    await updateCheck(tx, check.id, {
      secret_hash: await hashSecret(code),
      secret_expires_at: expiresAt,
      attempts: 0,
      sends: check.sends + 1,
      last_sent_at: now,
      reason: null,
    });
    const channel = check.settings.channel === 'sms' ? 'sms' : 'email';
    const target = { organizationId: session.envelope.organization_id, envelopeId: session.envelope.id };
    const minutes = ONE_TIME_CODE_TTL_MS / 60_000;
    // The previous code stops working, so the messages that carried it are erased; the new one's
    // body is kept (sealed) no longer than the code works.
    await eraseCodeMessages(tx, check.id);
    const lifetime = { identityCheckId: check.id, expiresAt };
    if (channel === 'sms') {
      const phone = String(check.settings.phone);
      await queueSms(
        platform,
        tx,
        target,
        phone,
        `${code} is your Signet code. It expires in ${minutes} minutes.`,
        lifetime,
      );
    } else {
      const facts = await loadMailFacts(tx, session.envelope, platform.config.publicUrl);
      const mail = oneTimeCodeMail(facts, session.recipient.email, code, minutes);
      await queueMail(platform, tx, target, mail, [], lifetime);
    }
    await appendAuditEvent(
      tx,
      session.envelope.id,
      'identity.code-sent',
      recipientActor(session.recipient, who),
      {
        recipientId: session.recipient.id,
        kind: 'otp',
        channel,
        send: check.sends + 1,
      },
    );
    return {
      sent: true as const,
      channel: channel as 'email' | 'sms',
      expiresInSeconds: ONE_TIME_CODE_TTL_MS / 1000,
    };
  });
}

export async function verifyOneTimeCode(platform: Platform, token: string, code: string, who: Who) {
  return withCheck(platform, token, 'otp', async (tx, session, check) => {
    const actor = recipientActor(session.recipient, who);
    const audit = { recipientId: session.recipient.id, kind: 'otp' };
    const expiresAt = asDate(check.secret_expires_at);
    if (!check.secret_hash || !expiresAt) {
      throw new SignetError('OTP_NOT_SENT', 'Ask for a code first.');
    }
    if (expiresAt.getTime() <= Date.now() || check.attempts >= ONE_TIME_CODE_MAX_ATTEMPTS) {
      const reason = check.attempts >= ONE_TIME_CODE_MAX_ATTEMPTS ? 'OTP_ATTEMPTS_EXHAUSTED' : 'OTP_EXPIRED';
      await updateCheck(tx, check.id, { reason });
      await appendAuditEvent(tx, session.envelope.id, 'identity.failed', actor, { ...audit, reason });
      return { passed: false, reason };
    }
    if (await secretMatches(code, check.secret_hash)) {
      await updateCheck(tx, check.id, {
        status: 'passed',
        reason: null,
        secret_hash: null,
        secret_expires_at: null,
        passed_at: new Date(),
        evidence: {
          method: 'one-time code',
          channel: check.settings.channel,
          ...(check.settings.phone ? { phone: check.settings.phone } : { email: session.recipient.email }),
          ip: who.ip,
          userAgent: who.userAgent,
        },
      });
      await eraseCodeMessages(tx, check.id);
      await appendAuditEvent(tx, session.envelope.id, 'identity.passed', actor, audit);
      return { passed: true };
    }
    const failures = check.total_failures + 1;
    const locked = failures >= ONE_TIME_CODE_MAX_FAILURES;
    const reason = locked ? 'IDENTITY_LOCKED' : 'OTP_WRONG';
    await updateCheck(tx, check.id, {
      attempts: check.attempts + 1,
      total_failures: failures,
      status: locked ? 'locked' : 'pending',
      reason,
    });
    await appendAuditEvent(tx, session.envelope.id, locked ? 'identity.locked' : 'identity.failed', actor, {
      ...audit,
      reason: 'OTP_WRONG',
      attemptsOnThisCode: check.attempts + 1,
      failures,
    });
    return {
      passed: false,
      reason,
      attemptsLeft: Math.max(0, ONE_TIME_CODE_MAX_ATTEMPTS - check.attempts - 1),
    };
  });
}

/**
 * Runs `work` on one of the recipient's checks, locked, in one transaction. A locked or passed
 * check is answered here, so each method only handles the pending case.
 */
async function withCheck<T>(
  platform: Platform,
  token: string,
  kind: IdentityCheckRow['kind'],
  work: (tx: Sql, session: Session, check: IdentityCheckRow) => Promise<T>,
): Promise<T> {
  return platform.db.transaction(async (tx) => {
    const session = await openSession(tx, token, { lock: true });
    assertMayAct(session);
    const check = findCheck(await loadIdentityChecks(tx, session.recipient.id, { lock: true }), kind);
    if (check.status === 'locked') {
      throw new SignetError(
        'IDENTITY_LOCKED',
        'Too many wrong codes: this check is locked. Ask the sender to unlock it.',
      );
    }
    if (check.status === 'passed') {
      throw new SignetError('IDENTITY_ALREADY_PASSED', `Your ${kind} check has already passed.`);
    }
    return work(tx, session, check);
  });
}

/** A code that no longer works leaves nothing readable behind, not even sealed. */
async function eraseCodeMessages(tx: Sql, identityCheckId: string) {
  await eraseCodeMailBodies(tx, identityCheckId);
  await eraseCodeSmsBodies(tx, identityCheckId);
}

function asDate(value: Date | string | null): Date | null {
  return value === null ? null : new Date(value);
}

/** The sender lifts a lockout: the recipient may try again, with a fresh count. */
export async function unlockIdentity(
  platform: Platform,
  sender: { organizationId: string; who: AuditActor },
  envelopeId: string,
  recipientId: string,
) {
  return platform.db.transaction(async (tx) => {
    const envelope = await loadEnvelope(tx, sender.organizationId, envelopeId, { lock: true });
    const recipient = (await loadRecipients(tx, envelope.id)).find((r) => r.id === recipientId);
    if (!recipient) throw new SignetError('RECIPIENT_NOT_FOUND', 'No such recipient in this envelope');
    const locked = (await loadIdentityChecks(tx, recipient.id, { lock: true })).filter(
      (c) => c.status === 'locked' || c.status === 'failed',
    );
    for (const check of locked) {
      await updateCheck(tx, check.id, {
        status: 'pending',
        reason: null,
        attempts: 0,
        total_failures: 0,
        secret_expires_at: check.kind === 'otp' ? null : asDate(check.secret_expires_at),
      });
      if (check.kind === 'otp') await eraseCodeMessages(tx, check.id);
      await appendAuditEvent(tx, envelope.id, 'identity.unlocked', sender.who, {
        recipientId: recipient.id,
        kind: check.kind,
        previousStatus: check.status,
      });
    }
    return { unlocked: locked.map((c) => c.kind) };
  });
}
