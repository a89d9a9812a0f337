import type { ErrorCode } from '../../errors.ts';
import { everyoneHasActed, recipientsToInvite } from './routing.ts';
import type { EnvelopeStatus, RecipientRole, RecipientStatus, SealState } from './statuses.ts';

/**
 * The envelope state machine (SPEC §A, §B, §C), pure: the envelope's status, each recipient's
 * status and the seal's, changed only by `transition(state, event)`. An event is either allowed
 * — the next state and the effects the store must carry out — or refused with a stable error
 * code and a human detail. `store.ts` persists what this decides; nothing else sets a status.
 *
 *   envelope   draft ──send──▶ sent ──advanceRouting, everyone has acted──▶ completed
 *                │              ├──a recipient declines──▶ declined
 *              delete           ├──void──▶ voided   (a draft may be voided too)
 *                               └──expire (past expiresAt)──▶ expired
 *   recipient  created ──invite (their routing group is due)──▶ sent ──view──▶ delivered
 *              sent | delivered ──finish (every document opened: viewDocument)──▶ completed,
 *                               ──decline──▶ declined
 *   routing    after send and after each finish, advanceRouting names the group due for
 *              invitation, or — everyone who acts having completed — completes the envelope
 *   seal       none ──completion──▶ pending ──claim──▶ running ──sealed──▶ done
 *              running ──sealFailed──▶ failed ──claim (retry)──▶ running
 *              running, lease run out ──recoverStalledSeal──▶ pending;  claim takes it over too
 */

export interface RecipientState {
  id: string;
  role: RecipientRole;
  routingOrder: number;
  status: RecipientStatus;
  consented: boolean;
}

export interface EnvelopeState {
  status: EnvelopeStatus;
  expiresAt: Date | null;
  seal: SealState;
  /** While a seal runs, until when its process holds it (renewed as it works). */
  sealLeaseUntil: Date | null;
  recipients: readonly RecipientState[];
}

/** Where every envelope and recipient starts: a draft, not yet sealed; recipients not yet invited. */
export const INITIAL_STATUS = { envelope: 'draft', recipient: 'created', seal: 'none' } as const satisfies {
  envelope: EnvelopeStatus;
  recipient: RecipientStatus;
  seal: SealState;
};

/** A running seal's lease lasts this long from its claim or last renewal. */
export const SEAL_LEASE_MS = 30_000;

export type EnvelopeEvent =
  // The sender, through the API.
  | { type: 'send'; expiresAt: Date }
  | { type: 'void' }
  | { type: 'remind' }
  | { type: 'delete' }
  | { type: 'issueSigningUrl'; recipientId: string }
  // A recipient, through their signing link.
  | { type: 'view'; recipientId: string }
  /** The recipient opened one of the envelope's documents. */
  | { type: 'viewDocument'; recipientId: string }
  /** Any step through the link — an identity check, or a step before its own rules apply. */
  | { type: 'act'; recipientId: string }
  | { type: 'consent'; recipientId: string }
  | { type: 'fillFields'; recipientId: string }
  /** `documentsNotViewed`: how many of the envelope's documents the recipient has not opened yet. */
  | { type: 'finish'; recipientId: string; documentsNotViewed: number }
  | { type: 'decline'; recipientId: string }
  // The system: routing, the expiry tick and the seal job.
  | { type: 'advanceRouting' }
  | { type: 'invite'; recipientId: string }
  | { type: 'expire'; now: Date }
  | { type: 'claimSeal'; now: Date }
  | { type: 'renewSealLease'; now: Date }
  | { type: 'sealFailed' }
  | { type: 'sealed' }
  | { type: 'recoverStalledSeal'; now: Date };

export type EventType = EnvelopeEvent['type'];

/** What the store does beyond writing the new state, in this order. */
export type Effect =
  /** These recipients' routing group is due: a signing link and an invitation each. */
  | { kind: 'invite'; recipientIds: string[] }
  /** Every signing link of the envelope stops working. */
  | { kind: 'revokeSigningLinks' }
  /** The `envelope.seal` job is queued. */
  | { kind: 'queueSeal' }
  /** The envelope and everything in it is deleted (a draft carries no evidence worth keeping). */
  | { kind: 'deleteEnvelope' };

export interface Refusal {
  code: ErrorCode;
  detail: string;
}

export type Transition =
  | { allowed: true; state: EnvelopeState; effects: Effect[] }
  | { allowed: false; refusal: Refusal };

const allow = (state: EnvelopeState, effects: Effect[] = []): Transition => ({
  allowed: true,
  state,
  effects,
});
const refuse = (code: ErrorCode, detail: string): Transition => ({
  allowed: false,
  refusal: { code, detail },
});

export function transition(state: EnvelopeState, event: EnvelopeEvent): Transition {
  switch (event.type) {
    case 'send':
      return send(state, event.expiresAt);
    case 'void':
      return (
        senderAction(state, 'void') ?? allow({ ...state, status: 'voided' }, [{ kind: 'revokeSigningLinks' }])
      );
    case 'remind':
      return senderAction(state, 'remind') ?? allow(state);
    case 'delete':
      return senderAction(state, 'delete') ?? allow(state, [{ kind: 'deleteEnvelope' }]);
    case 'issueSigningUrl':
      return issueSigningUrl(state, event.recipientId);
    case 'view':
      return view(state, event.recipientId);
    case 'act':
    case 'fillFields':
      return signerMayAct(state, event.recipientId) ?? allow(state);
    case 'consent':
      return (
        signerMayAct(state, event.recipientId) ??
        allow(withRecipient(state, event.recipientId, { consented: true }))
      );
    case 'viewDocument':
      return openForRecipient(state, event.recipientId) ?? allow(state);
    case 'finish':
      return finish(state, event.recipientId, event.documentsNotViewed);
    case 'advanceRouting':
      return advanceRouting(state);
    case 'invite':
      return invite(state, event.recipientId);
    case 'decline':
      return (
        signerMayAct(state, event.recipientId) ??
        allow({ ...withRecipient(state, event.recipientId, { status: 'declined' }), status: 'declined' })
      );
    case 'expire':
      return expire(state, event.now);
    case 'claimSeal':
      return claimSeal(state, event.now);
    case 'renewSealLease':
      return state.seal === 'running'
        ? allow(leased(state, event.now))
        : refuse('SEAL_NOT_RUNNING', `The seal is ${state.seal}, not running: there is no lease to renew`);
    case 'sealFailed':
      return state.seal === 'running'
        ? allow({ ...state, seal: 'failed', sealLeaseUntil: null })
        : refuse('SEAL_NOT_RUNNING', `The seal is ${state.seal}, not running: it cannot fail`);
    case 'sealed':
      return sealed(state);
    case 'recoverStalledSeal':
      return recoverStalledSeal(state, event.now);
  }
}

// The sender's actions, each allowed in some envelope states only.

type SenderAction = 'send' | 'void' | 'remind' | 'delete' | 'issueSigningUrl';

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
  issueSigningUrl: {
    allowed: ['sent'],
    code: 'ENVELOPE_NOT_IN_PROGRESS',
    detail: 'Signing URLs exist only for envelopes in progress',
  },
};

function senderAction(state: EnvelopeState, action: SenderAction): Transition | null {
  const rule = SENDER_RULES[action];
  if (rule.allowed.includes(state.status)) return null;
  return refuse(rule.code, `${rule.detail} (this one is ${state.status})`);
}

/** Sending opens the envelope; advanceRouting then names the first routing group to invite. */
function send(state: EnvelopeState, expiresAt: Date): Transition {
  return senderAction(state, 'send') ?? allow({ ...state, status: 'sent', expiresAt });
}

function issueSigningUrl(state: EnvelopeState, recipientId: string): Transition {
  const refused = senderAction(state, 'issueSigningUrl');
  if (refused) return refused;
  const recipient = findRecipient(state, recipientId);
  if (!recipient) return refuse('RECIPIENT_NOT_FOUND', 'No such recipient on this envelope');
  if (recipient.role === 'cc') {
    return refuse('RECIPIENT_CANNOT_SIGN', 'A cc recipient only receives the completed copy');
  }
  if (recipient.status === 'created') {
    return refuse('RECIPIENT_NOT_YET_ACTIVE', 'It is not this recipient’s turn in the routing order yet');
  }
  if (recipient.status === 'completed' || recipient.status === 'declined') {
    return refuse('RECIPIENT_ALREADY_COMPLETED', `This recipient has already ${recipient.status}`);
  }
  return allow(state);
}

// What a recipient does through their link.

const CLOSED_FOR_SIGNING: Record<Exclude<EnvelopeStatus, 'sent'>, Refusal> = {
  draft: { code: 'ENVELOPE_NOT_SENT', detail: 'This envelope has not been sent yet' },
  completed: { code: 'ENVELOPE_COMPLETED', detail: 'This envelope is already completed' },
  declined: { code: 'ENVELOPE_DECLINED', detail: 'This envelope was declined and can no longer be signed' },
  voided: { code: 'ENVELOPE_VOIDED', detail: 'The sender voided this envelope; it can no longer be signed' },
  expired: { code: 'ENVELOPE_EXPIRED', detail: 'This envelope expired and can no longer be signed' },
};

/** A recipient may act while the envelope is sent and they have not finished; cc recipients never act. */
function signerMayAct(state: EnvelopeState, recipientId: string): Transition | null {
  const closed = openForRecipient(state, recipientId);
  if (closed) return closed;
  if (findRecipient(state, recipientId)?.role === 'cc') {
    return refuse('RECIPIENT_CANNOT_SIGN', 'You receive a copy of this envelope; there is nothing to sign.');
  }
  return null;
}

/** The envelope is sent, the recipient is on it and has neither completed nor declined. */
function openForRecipient(state: EnvelopeState, recipientId: string): Transition | null {
  if (state.status !== 'sent') {
    const { code, detail } = CLOSED_FOR_SIGNING[state.status];
    return refuse(code, detail);
  }
  const recipient = findRecipient(state, recipientId);
  if (!recipient) return refuse('RECIPIENT_NOT_FOUND', 'No such recipient on this envelope');
  if (recipient.status === 'completed') {
    return refuse('RECIPIENT_ALREADY_COMPLETED', 'You have already completed this envelope.');
  }
  if (recipient.status === 'declined') return refuse('RECIPIENT_DECLINED', 'You declined this envelope.');
  return null;
}

/** Opening the link is a view; an invited recipient's status becomes delivered. */
function view(state: EnvelopeState, recipientId: string): Transition {
  const closed = openForRecipient(state, recipientId);
  if (closed) return closed;
  const recipient = findRecipient(state, recipientId)!;
  return allow(
    recipient.status === 'sent' ? withRecipient(state, recipientId, { status: 'delivered' }) : state,
  );
}

/**
 * Finishing completes the recipient; advanceRouting then moves the routing on. Only a recipient
 * who opened every document may finish (SPEC §B: the documents must have been presented), so
 * an integrator's own interface has to fetch them too.
 */
function finish(state: EnvelopeState, recipientId: string, documentsNotViewed: number): Transition {
  const refused = signerMayAct(state, recipientId);
  if (refused) return refused;
  const recipient = findRecipient(state, recipientId)!;
  if (!recipient.consented) {
    return refuse('CONSENT_REQUIRED', 'Agree to sign electronically before finishing.');
  }
  if (recipient.status === 'created') {
    return refuse('RECIPIENT_NOT_YET_ACTIVE', 'It is not your turn to sign yet.');
  }
  if (documentsNotViewed > 0) {
    const which = documentsNotViewed === 1 ? 'one document' : `${documentsNotViewed} documents`;
    return refuse('DOCUMENTS_NOT_VIEWED', `Open every document before finishing: ${which} not opened yet.`);
  }
  return allow(withRecipient(state, recipientId, { status: 'completed' }));
}

// Routing (SPEC §A, routing.ts): groups by routing order, each invited when the one before is done.

/**
 * The envelope completes, and its seal is queued, once every recipient who acts has completed;
 * until then, the recipients of the current group not yet invited are due (often none).
 */
function advanceRouting(state: EnvelopeState): Transition {
  if (state.status !== 'sent') {
    return refuse(
      'ENVELOPE_NOT_IN_PROGRESS',
      `Only an envelope in progress is routed (this one is ${state.status})`,
    );
  }
  if (everyoneHasActed([...state.recipients])) {
    return allow({ ...state, status: 'completed', seal: 'pending', sealLeaseUntil: null }, [
      { kind: 'queueSeal' },
    ]);
  }
  const due = recipientsToInvite([...state.recipients]).map((r) => r.id);
  return allow(state, due.length > 0 ? [{ kind: 'invite', recipientIds: due }] : []);
}

/** A recipient of the group that is due is invited: created → sent. */
function invite(state: EnvelopeState, recipientId: string): Transition {
  if (state.status !== 'sent') {
    return refuse(
      'ENVELOPE_NOT_IN_PROGRESS',
      `Only an envelope in progress invites (this one is ${state.status})`,
    );
  }
  const recipient = findRecipient(state, recipientId);
  if (!recipient) return refuse('RECIPIENT_NOT_FOUND', 'No such recipient on this envelope');
  if (recipient.role === 'cc') {
    return refuse('RECIPIENT_CANNOT_SIGN', 'A cc recipient only receives the completed copy');
  }
  if (recipient.status !== 'created') {
    return refuse('RECIPIENT_ALREADY_INVITED', `This recipient was invited already (${recipient.status})`);
  }
  if (!recipientsToInvite([...state.recipients]).some((r) => r.id === recipientId)) {
    return refuse('RECIPIENT_NOT_YET_ACTIVE', 'It is not this recipient’s turn in the routing order yet');
  }
  return allow(withRecipient(state, recipientId, { status: 'sent' }));
}

// The system.

function expire(state: EnvelopeState, now: Date): Transition {
  if (state.status !== 'sent') {
    return refuse(
      'ENVELOPE_NOT_IN_PROGRESS',
      `Only an envelope in progress expires (this one is ${state.status})`,
    );
  }
  if (!state.expiresAt || state.expiresAt.getTime() >= now.getTime()) {
    return refuse('ENVELOPE_NOT_DUE_TO_EXPIRE', 'The envelope’s expiry has not passed yet');
  }
  return allow({ ...state, status: 'expired' }, [{ kind: 'revokeSigningLinks' }]);
}

const leaseIsLive = (state: EnvelopeState, now: Date) =>
  state.sealLeaseUntil !== null && state.sealLeaseUntil.getTime() >= now.getTime();

const leased = (state: EnvelopeState, now: Date): EnvelopeState => ({
  ...state,
  seal: 'running',
  sealLeaseUntil: new Date(now.getTime() + SEAL_LEASE_MS),
});

/**
 * Only a completed envelope not yet sealed is sealed, and not while another process holds a live
 * lease on it: two instances picking up the same job, or a retry racing the original, must not
 * both seal. A lease that ran out unrenewed (its process died) is taken over.
 */
function claimSeal(state: EnvelopeState, now: Date): Transition {
  if (state.status !== 'completed') {
    return refuse('ENVELOPE_NOT_COMPLETED', `The envelope is ${state.status}, not completed`);
  }
  if (state.seal === 'done') return refuse('SEAL_ALREADY_DONE', 'The envelope is already sealed');
  if (state.seal === 'running' && leaseIsLive(state, now)) {
    return refuse('SEAL_LEASED', 'Another process is sealing this envelope');
  }
  return allow(leased(state, now));
}

/**
 * A seal's result is kept whoever finishes first: a seal recovered (pending) or marked failed by
 * a slower attempt is still a whole result from the originals.
 */
function sealed(state: EnvelopeState): Transition {
  if (state.status !== 'completed') {
    return refuse('ENVELOPE_NOT_COMPLETED', `The envelope is ${state.status}, not completed`);
  }
  if (state.seal === 'done') return refuse('SEAL_ALREADY_DONE', 'The envelope is already sealed');
  if (state.seal === 'none') return refuse('SEAL_NOT_RUNNING', 'No seal was requested for this envelope');
  return allow({ ...state, seal: 'done', sealLeaseUntil: null });
}

/** A running seal whose lease ran out unrenewed: its process died, and the seal is queued again. */
function recoverStalledSeal(state: EnvelopeState, now: Date): Transition {
  const stalled =
    state.status === 'completed' &&
    state.seal === 'running' &&
    state.sealLeaseUntil !== null &&
    state.sealLeaseUntil.getTime() < now.getTime();
  if (!stalled) {
    const why = state.seal === 'running' ? 'its lease is live' : `it is ${state.seal}, not running`;
    return refuse('SEAL_NOT_STALLED', `The seal has not stalled: ${why}`);
  }
  return allow({ ...state, seal: 'pending', sealLeaseUntil: null }, [{ kind: 'queueSeal' }]);
}

// Helpers.

const findRecipient = (state: EnvelopeState, recipientId: string) =>
  state.recipients.find((r) => r.id === recipientId);

function withRecipient(
  state: EnvelopeState,
  recipientId: string,
  change: Partial<Pick<RecipientState, 'status' | 'consented'>>,
): EnvelopeState {
  return {
    ...state,
    recipients: state.recipients.map((r) => (r.id === recipientId ? { ...r, ...change } : r)),
  };
}
