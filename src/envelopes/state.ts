import { type ErrorCode, SignetError } from '../errors.ts';

/**
 * The envelope state machine (SPEC §A), pure: which sender and signer actions each state
 * allows, and the stable error code for each refusal.
 *
 *   draft ──send──▶ sent ──last recipient done──▶ completed
 *     │               ├──decline──▶ declined
 *   delete            ├──void────▶ voided
 *                     └──expiry──▶ expired
 */
export const ENVELOPE_STATUSES = ['draft', 'sent', 'completed', 'declined', 'voided', 'expired'] as const;
export type EnvelopeStatus = (typeof ENVELOPE_STATUSES)[number];

export type SenderAction = 'send' | 'void' | 'remind' | 'delete' | 'signingUrl';

const SENDER_RULES: Record<SenderAction, { allowed: EnvelopeStatus[]; code: ErrorCode; detail: string }> = {
  send: { allowed: ['draft'], code: 'ENVELOPE_ALREADY_SENT', detail: 'Only a draft envelope can be sent' },
  void: {
    allowed: ['draft', 'sent'],
    code: 'ENVELOPE_NOT_VOIDABLE',
    detail: 'Only a draft or sent envelope can be voided',
  },
  remind: {
    allowed: ['sent'],
    code: 'ENVELOPE_NOT_IN_PROGRESS',
    detail: 'Reminders go only to envelopes in progress',
  },
  delete: {
    allowed: ['draft'],
    code: 'ENVELOPE_NOT_DRAFT',
    detail: 'Only drafts can be deleted; void a sent envelope instead',
  },
  signingUrl: {
    allowed: ['sent'],
    code: 'ENVELOPE_NOT_IN_PROGRESS',
    detail: 'Signing URLs exist only for envelopes in progress',
  },
};

export function assertSenderAction(status: EnvelopeStatus, action: SenderAction): void {
  const rule = SENDER_RULES[action];
  if (!rule.allowed.includes(status))
    throw new SignetError(rule.code, `${rule.detail} (this one is ${status})`);
}

const CLOSED_FOR_SIGNING: Record<Exclude<EnvelopeStatus, 'sent'>, { code: ErrorCode; detail: string }> = {
  draft: { code: 'ENVELOPE_NOT_SENT', detail: 'This envelope has not been sent yet' },
  completed: { code: 'ENVELOPE_COMPLETED', detail: 'This envelope is already completed' },
  declined: {
    code: 'ENVELOPE_DECLINED',
    detail: 'This envelope was declined and can no longer be signed',
  },
  voided: {
    code: 'ENVELOPE_VOIDED',
    detail: 'The sender voided this envelope; it can no longer be signed',
  },
  expired: {
    code: 'ENVELOPE_EXPIRED',
    detail: 'This envelope expired and can no longer be signed',
  },
};

/** A signer may act (consent, fill, finish, decline) only while the envelope is sent. */
export function assertOpenForSigning(status: EnvelopeStatus): void {
  if (status === 'sent') return;
  const refusal = CLOSED_FOR_SIGNING[status];
  throw new SignetError(refusal.code, refusal.detail);
}
