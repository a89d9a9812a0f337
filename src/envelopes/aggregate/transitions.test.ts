import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ENVELOPE_STATUSES,
  type EnvelopeStatus,
  RECIPIENT_STATUSES,
  type RecipientRole,
  type RecipientStatus,
  SEAL_STATES,
  type SealState,
} from './statuses.ts';
import {
  type EnvelopeEvent,
  type EnvelopeState,
  type EventType,
  type RecipientState,
  SEAL_LEASE_MS,
  type Transition,
  transition,
} from './transitions.ts';

/*
 * Every event against every state it can meet: allowed → the next state (and effects), refused →
 * the stable code. The tables are written out rather than derived, so they read as the
 * specification and a change to the machine shows up here as a changed row.
 */

const NOW = new Date('2026-12-01T12:00:00Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

const recipient = (
  id: string,
  status: RecipientStatus,
  options: { role?: RecipientRole; routingOrder?: number; consented?: boolean } = {},
): RecipientState => ({
  id,
  role: options.role ?? 'signer',
  routingOrder: options.routingOrder ?? 1,
  status,
  consented: options.consented ?? true,
});

const envelope = (status: EnvelopeStatus, recipients: RecipientState[], extra: Partial<EnvelopeState> = {}) =>
  ({
    status,
    expiresAt: later(86_400_000),
    seal: 'none',
    sealLeaseUntil: null,
    recipients,
    ...extra,
  }) satisfies EnvelopeState;

/** The outcome as one comparable value: the refusal code, or the parts of the next state that matter. */
function outcome(result: Transition) {
  if (!result.allowed) return result.refusal.code;
  return {
    status: result.state.status,
    seal: result.state.seal,
    recipients: Object.fromEntries(result.state.recipients.map((r) => [r.id, r.status])),
    effects: result.effects,
  };
}

const covered = new Set<EventType>();
const run = (state: EnvelopeState, event: EnvelopeEvent) => {
  covered.add(event.type);
  return transition(state, event);
};

describe('the envelope state machine', () => {
  describe("the sender's actions, in every envelope status", () => {
    // One recipient per routing group, and a cc who never acts.
    const recipients = [
      recipient('first', 'created'),
      recipient('second', 'created', { routingOrder: 2 }),
      recipient('copy', 'created', { role: 'cc' }),
    ];
    const expiresAt = later(30 * 86_400_000);
    const table: Record<
      'send' | 'void' | 'remind' | 'delete',
      Record<EnvelopeStatus, string | EnvelopeStatus>
    > = {
      send: {
        draft: 'sent',
        sent: 'ENVELOPE_ALREADY_SENT',
        completed: 'ENVELOPE_ALREADY_SENT',
        declined: 'ENVELOPE_ALREADY_SENT',
        voided: 'ENVELOPE_ALREADY_SENT',
        expired: 'ENVELOPE_ALREADY_SENT',
      },
      void: {
        draft: 'voided',
        sent: 'voided',
        completed: 'ENVELOPE_NOT_VOIDABLE',
        declined: 'ENVELOPE_NOT_VOIDABLE',
        voided: 'ENVELOPE_NOT_VOIDABLE',
        expired: 'ENVELOPE_NOT_VOIDABLE',
      },
      remind: {
        draft: 'ENVELOPE_NOT_IN_PROGRESS',
        sent: 'sent',
        completed: 'ENVELOPE_NOT_IN_PROGRESS',
        declined: 'ENVELOPE_NOT_IN_PROGRESS',
        voided: 'ENVELOPE_NOT_IN_PROGRESS',
        expired: 'ENVELOPE_NOT_IN_PROGRESS',
      },
      delete: {
        draft: 'draft',
        sent: 'ENVELOPE_NOT_DRAFT',
        completed: 'ENVELOPE_NOT_DRAFT',
        declined: 'ENVELOPE_NOT_DRAFT',
        voided: 'ENVELOPE_NOT_DRAFT',
        expired: 'ENVELOPE_NOT_DRAFT',
      },
    };
    const events = {
      send: { type: 'send', expiresAt },
      void: { type: 'void' },
      remind: { type: 'remind' },
      delete: { type: 'delete' },
    } as const;
    for (const [action, row] of Object.entries(table) as [
      keyof typeof table,
      Record<EnvelopeStatus, string>,
    ][]) {
      for (const status of ENVELOPE_STATUSES) {
        const expected = row[status];
        const refused = expected === expected.toUpperCase();
        it(`${action} when ${status}: ${refused ? `refused (${expected})` : `→ ${expected}`}`, () => {
          const result = run(envelope(status, recipients), events[action]);
          if (refused) {
            assert.equal(outcome(result), expected);
            return;
          }
          assert.ok(result.allowed);
          assert.equal(result.state.status, expected);
        });
      }
    }

    it('sending sets the expiry; the routing then names the first group only, never a cc', () => {
      const result = run(envelope('draft', recipients, { expiresAt: null }), { type: 'send', expiresAt });
      assert.ok(result.allowed);
      assert.equal(result.state.expiresAt, expiresAt);
      assert.deepEqual(outcome(result), {
        status: 'sent',
        seal: 'none',
        recipients: { first: 'created', second: 'created', copy: 'created' },
        effects: [],
      });
      assert.deepEqual(outcome(run(result.state, { type: 'advanceRouting' })), {
        status: 'sent',
        seal: 'none',
        recipients: { first: 'created', second: 'created', copy: 'created' },
        effects: [{ kind: 'invite', recipientIds: ['first'] }],
      });
    });

    it('voiding withdraws every signing link; deleting a draft deletes it; reminding changes nothing', () => {
      const voided = run(envelope('sent', recipients), { type: 'void' });
      assert.ok(voided.allowed);
      assert.deepEqual(voided.effects, [{ kind: 'revokeSigningLinks' }]);
      const deleted = run(envelope('draft', recipients), { type: 'delete' });
      assert.ok(deleted.allowed);
      assert.deepEqual(deleted.effects, [{ kind: 'deleteEnvelope' }]);
      const reminded = run(envelope('sent', recipients), { type: 'remind' });
      assert.ok(reminded.allowed);
      assert.deepEqual(reminded.state, envelope('sent', recipients));
      assert.deepEqual(reminded.effects, []);
    });

    it('quotes the status in the refusal', () => {
      const result = run(envelope('completed', recipients), { type: 'send', expiresAt });
      assert.ok(!result.allowed);
      assert.equal(result.refusal.detail, 'Only a draft envelope can be sent (this one is completed)');
    });
  });

  describe('a signing URL for a recipient (the sender, embedded signing)', () => {
    const table: [EnvelopeStatus, RecipientStatus, RecipientRole, string | null][] = [
      ['sent', 'sent', 'signer', null],
      ['sent', 'delivered', 'signer', null],
      ['sent', 'delivered', 'approver', null],
      ['sent', 'created', 'signer', 'RECIPIENT_NOT_YET_ACTIVE'],
      ['sent', 'completed', 'signer', 'RECIPIENT_ALREADY_COMPLETED'],
      ['sent', 'declined', 'signer', 'RECIPIENT_ALREADY_COMPLETED'],
      ['sent', 'created', 'cc', 'RECIPIENT_CANNOT_SIGN'],
      ...ENVELOPE_STATUSES.filter((s) => s !== 'sent').map(
        (status) =>
          [status, 'sent', 'signer', 'ENVELOPE_NOT_IN_PROGRESS'] as [
            EnvelopeStatus,
            RecipientStatus,
            RecipientRole,
            string,
          ],
      ),
    ];
    for (const [status, recipientStatus, role, expected] of table) {
      it(`${status} envelope, ${role} ${recipientStatus}: ${expected ?? 'allowed'}`, () => {
        const state = envelope(status, [recipient('r', recipientStatus, { role })]);
        const result = run(state, { type: 'issueSigningUrl', recipientId: 'r' });
        assert.equal(result.allowed ? null : result.refusal.code, expected);
        if (result.allowed) assert.deepEqual(result.state, state);
      });
    }

    it('refuses a recipient who is not on the envelope', () => {
      const result = run(envelope('sent', [recipient('r', 'sent')]), {
        type: 'issueSigningUrl',
        recipientId: 'someone-else',
      });
      assert.equal(outcome(result), 'RECIPIENT_NOT_FOUND');
    });
  });

  describe("a recipient's steps through their link", () => {
    type SignerEvent = 'view' | 'viewDocument' | 'act' | 'consent' | 'fillFields' | 'finish' | 'decline';
    const SIGNER_EVENTS: SignerEvent[] = [
      'view',
      'viewDocument',
      'act',
      'consent',
      'fillFields',
      'finish',
      'decline',
    ];
    // Every document opened, unless a test says otherwise.
    const event = (type: SignerEvent, documentsNotViewed = 0): EnvelopeEvent =>
      type === 'finish' ? { type, recipientId: 'me', documentsNotViewed } : { type, recipientId: 'me' };

    it('refuses every step while the envelope is not sent, with a reason for each status', () => {
      const closed: Record<Exclude<EnvelopeStatus, 'sent'>, string> = {
        draft: 'ENVELOPE_NOT_SENT',
        completed: 'ENVELOPE_COMPLETED',
        declined: 'ENVELOPE_DECLINED',
        voided: 'ENVELOPE_VOIDED',
        expired: 'ENVELOPE_EXPIRED',
      };
      for (const [status, code] of Object.entries(closed) as [EnvelopeStatus, string][]) {
        for (const recipientStatus of RECIPIENT_STATUSES) {
          for (const role of ['signer', 'cc'] as const) {
            for (const type of SIGNER_EVENTS) {
              const state = envelope(status, [recipient('me', recipientStatus, { role })]);
              assert.equal(
                outcome(run(state, event(type))),
                code,
                `${type}: ${status}/${recipientStatus}/${role}`,
              );
            }
          }
        }
      }
    });

    // A consented signer of the first group, while a second group still waits: finishing moves
    // the routing on rather than completing the envelope.
    const SENT: Record<SignerEvent, Record<RecipientStatus, string | RecipientStatus>> = {
      view: {
        created: 'created',
        sent: 'delivered',
        delivered: 'delivered',
        completed: 'RECIPIENT_ALREADY_COMPLETED',
        declined: 'RECIPIENT_DECLINED',
      },
      viewDocument: {
        created: 'created',
        sent: 'sent',
        delivered: 'delivered',
        completed: 'RECIPIENT_ALREADY_COMPLETED',
        declined: 'RECIPIENT_DECLINED',
      },
      act: {
        created: 'created',
        sent: 'sent',
        delivered: 'delivered',
        completed: 'RECIPIENT_ALREADY_COMPLETED',
        declined: 'RECIPIENT_DECLINED',
      },
      consent: {
        created: 'created',
        sent: 'sent',
        delivered: 'delivered',
        completed: 'RECIPIENT_ALREADY_COMPLETED',
        declined: 'RECIPIENT_DECLINED',
      },
      fillFields: {
        created: 'created',
        sent: 'sent',
        delivered: 'delivered',
        completed: 'RECIPIENT_ALREADY_COMPLETED',
        declined: 'RECIPIENT_DECLINED',
      },
      finish: {
        created: 'RECIPIENT_NOT_YET_ACTIVE',
        sent: 'completed',
        delivered: 'completed',
        completed: 'RECIPIENT_ALREADY_COMPLETED',
        declined: 'RECIPIENT_DECLINED',
      },
      decline: {
        created: 'declined',
        sent: 'declined',
        delivered: 'declined',
        completed: 'RECIPIENT_ALREADY_COMPLETED',
        declined: 'RECIPIENT_DECLINED',
      },
    };
    for (const type of SIGNER_EVENTS) {
      for (const status of RECIPIENT_STATUSES) {
        const expected = SENT[type][status];
        const refused = expected === expected.toUpperCase();
        it(`${type} by a ${status} signer: ${refused ? `refused (${expected})` : `→ ${expected}`}`, () => {
          const state = envelope('sent', [
            recipient('me', status),
            recipient('next', 'created', { routingOrder: 2 }),
          ]);
          const result = run(state, event(type));
          if (refused) {
            assert.equal(outcome(result), expected);
            return;
          }
          assert.ok(result.allowed);
          assert.equal(result.state.recipients[0]?.status, expected);
          // Declining ends the envelope for everyone; nothing else here changes its status.
          assert.equal(result.state.status, type === 'decline' ? 'declined' : 'sent');
        });
      }
    }

    it('consenting records the consent', () => {
      const result = run(envelope('sent', [recipient('me', 'sent', { consented: false })]), event('consent'));
      assert.ok(result.allowed);
      assert.equal(result.state.recipients[0]?.consented, true);
    });

    it('refuses to finish without consent, before it looks at the routing order', () => {
      for (const status of ['created', 'sent', 'delivered'] as const) {
        const state = envelope('sent', [recipient('me', status, { consented: false })]);
        assert.equal(outcome(run(state, event('finish'))), 'CONSENT_REQUIRED', status);
      }
    });

    it('refuses to finish before every document was opened, once consent and the turn are there', () => {
      for (const status of ['sent', 'delivered'] as const) {
        const state = envelope('sent', [recipient('me', status)]);
        assert.equal(outcome(run(state, event('finish', 2))), 'DOCUMENTS_NOT_VIEWED', status);
        assert.equal(run(state, event('finish', 0)).allowed, true, status);
      }
      const notConsented = envelope('sent', [recipient('me', 'sent', { consented: false })]);
      assert.equal(outcome(run(notConsented, event('finish', 1))), 'CONSENT_REQUIRED');
      const notYourTurn = envelope('sent', [recipient('me', 'created')]);
      assert.equal(outcome(run(notYourTurn, event('finish', 1))), 'RECIPIENT_NOT_YET_ACTIVE');
    });

    it('lets a cc recipient open their link and the documents but nothing more', () => {
      for (const status of ['created', 'sent', 'delivered'] as const) {
        const state = envelope('sent', [
          recipient('me', status, { role: 'cc' }),
          recipient('signer', 'sent'),
        ]);
        assert.equal(run(state, event('view')).allowed, true, `view when ${status}`);
        assert.equal(run(state, event('viewDocument')).allowed, true, `viewDocument when ${status}`);
        for (const type of SIGNER_EVENTS.filter((t) => t !== 'view' && t !== 'viewDocument')) {
          assert.equal(outcome(run(state, event(type))), 'RECIPIENT_CANNOT_SIGN', `${type} when ${status}`);
        }
      }
    });

    it('refuses a recipient who is not on the envelope', () => {
      for (const type of SIGNER_EVENTS) {
        const result = run(envelope('sent', [recipient('other', 'sent')]), event(type));
        assert.equal(outcome(result), 'RECIPIENT_NOT_FOUND', type);
      }
    });
  });

  describe('routing: what a finish leads to (advanceRouting), and invitations', () => {
    const finishThenRoute = (state: EnvelopeState, recipientId: string) => {
      const finished = run(state, { type: 'finish', recipientId, documentsNotViewed: 0 });
      assert.ok(finished.allowed);
      assert.deepEqual(finished.effects, []);
      assert.equal(finished.state.status, 'sent', 'a finish alone never completes the envelope');
      return outcome(run(finished.state, { type: 'advanceRouting' }));
    };

    it('waits for the rest of the group before inviting the next', () => {
      const state = envelope('sent', [
        recipient('a', 'delivered'),
        recipient('b', 'sent'),
        recipient('c', 'created', { routingOrder: 2 }),
      ]);
      assert.deepEqual(finishThenRoute(state, 'a'), {
        status: 'sent',
        seal: 'none',
        recipients: { a: 'completed', b: 'sent', c: 'created' },
        effects: [],
      });
    });

    it('names the next group when the last of the current one finishes', () => {
      const state = envelope('sent', [
        recipient('a', 'completed'),
        recipient('b', 'delivered'),
        recipient('c', 'created', { routingOrder: 2 }),
        recipient('d', 'created', { routingOrder: 2, role: 'viewer' }),
        recipient('e', 'created', { routingOrder: 3 }),
      ]);
      assert.deepEqual(finishThenRoute(state, 'b'), {
        status: 'sent',
        seal: 'none',
        recipients: { a: 'completed', b: 'completed', c: 'created', d: 'created', e: 'created' },
        effects: [{ kind: 'invite', recipientIds: ['c', 'd'] }],
      });
    });

    it('completes the envelope and queues its seal once the last recipient who acts has finished', () => {
      const state = envelope('sent', [
        recipient('a', 'completed'),
        recipient('b', 'delivered', { role: 'approver', routingOrder: 2 }),
        recipient('copy', 'created', { role: 'cc' }),
      ]);
      assert.deepEqual(finishThenRoute(state, 'b'), {
        status: 'completed',
        seal: 'pending',
        recipients: { a: 'completed', b: 'completed', copy: 'created' },
        effects: [{ kind: 'queueSeal' }],
      });
    });

    it('routes only an envelope in progress', () => {
      for (const status of ENVELOPE_STATUSES.filter((s) => s !== 'sent')) {
        const state = envelope(status, [recipient('a', 'completed')]);
        assert.equal(outcome(run(state, { type: 'advanceRouting' })), 'ENVELOPE_NOT_IN_PROGRESS', status);
      }
    });

    // A first group (a: created, due) and a second (b: created, not yet due), and a cc.
    const table: [EnvelopeStatus, string, RecipientStatus, string][] = [
      ['sent', 'a', 'created', 'sent'],
      ['sent', 'b', 'created', 'RECIPIENT_NOT_YET_ACTIVE'],
      ['sent', 'copy', 'created', 'RECIPIENT_CANNOT_SIGN'],
      ['sent', 'nobody', 'created', 'RECIPIENT_NOT_FOUND'],
      ...(['sent', 'delivered', 'completed', 'declined'] as const).map(
        (status) =>
          ['sent', 'a', status, 'RECIPIENT_ALREADY_INVITED'] as [
            EnvelopeStatus,
            string,
            RecipientStatus,
            string,
          ],
      ),
      ...ENVELOPE_STATUSES.filter((s) => s !== 'sent').map(
        (status) =>
          [status, 'a', 'created', 'ENVELOPE_NOT_IN_PROGRESS'] as [
            EnvelopeStatus,
            string,
            RecipientStatus,
            string,
          ],
      ),
    ];
    for (const [status, who, whoStatus, expected] of table) {
      it(`invite ${who} (${whoStatus}) on a ${status} envelope: ${expected}`, () => {
        const state = envelope(status, [
          recipient('a', who === 'a' ? whoStatus : 'created'),
          recipient('b', 'created', { routingOrder: 2 }),
          recipient('copy', 'created', { role: 'cc' }),
        ]);
        const result = run(state, { type: 'invite', recipientId: who });
        if (!result.allowed) {
          assert.equal(result.refusal.code, expected);
          return;
        }
        assert.equal(result.state.recipients.find((r) => r.id === who)?.status, expected);
        assert.deepEqual(result.effects, []);
      });
    }
  });

  describe('expiry (the envelope.expire tick)', () => {
    const table: [EnvelopeStatus, Date | null, string][] = [
      ['sent', later(-1), 'expired'],
      ['sent', NOW, 'ENVELOPE_NOT_DUE_TO_EXPIRE'],
      ['sent', later(60_000), 'ENVELOPE_NOT_DUE_TO_EXPIRE'],
      ['sent', null, 'ENVELOPE_NOT_DUE_TO_EXPIRE'],
      ...ENVELOPE_STATUSES.filter((s) => s !== 'sent').map(
        (status) => [status, later(-1), 'ENVELOPE_NOT_IN_PROGRESS'] as [EnvelopeStatus, Date, string],
      ),
    ];
    for (const [status, expiresAt, expected] of table) {
      it(`${status}, expiring ${expiresAt ? `${(expiresAt.getTime() - NOW.getTime()) / 1000} s from now` : 'never'}: ${expected}`, () => {
        const result = run(envelope(status, [recipient('me', 'sent')], { expiresAt }), {
          type: 'expire',
          now: NOW,
        });
        if (!result.allowed) {
          assert.equal(result.refusal.code, expected);
          return;
        }
        assert.equal(result.state.status, expected);
        assert.deepEqual(result.effects, [{ kind: 'revokeSigningLinks' }]);
        assert.equal(result.state.recipients[0]?.status, 'sent');
      });
    }
  });

  describe('the seal (the envelope.seal job and its lease)', () => {
    type SealEvent = 'claimSeal' | 'renewSealLease' | 'sealFailed' | 'sealed' | 'recoverStalledSeal';
    type Lease = 'no lease' | 'live lease' | 'lease run out';
    const leaseUntil: Record<Lease, Date | null> = {
      'no lease': null,
      'live lease': later(5_000),
      'lease run out': later(-1),
    };
    const sealEvent = (type: SealEvent): EnvelopeEvent =>
      type === 'sealFailed' || type === 'sealed' ? { type } : { type, now: NOW };
    const RUNNING_LEASED = `running until +${SEAL_LEASE_MS / 1000}s`;

    // On a completed envelope: [seal state, lease] → outcome per event.
    const COMPLETED: [SealState, Lease, Record<SealEvent, string>][] = [
      [
        'none',
        'no lease',
        {
          claimSeal: RUNNING_LEASED,
          renewSealLease: 'SEAL_NOT_RUNNING',
          sealFailed: 'SEAL_NOT_RUNNING',
          sealed: 'SEAL_NOT_RUNNING',
          recoverStalledSeal: 'SEAL_NOT_STALLED',
        },
      ],
      [
        'pending',
        'no lease',
        {
          claimSeal: RUNNING_LEASED,
          renewSealLease: 'SEAL_NOT_RUNNING',
          sealFailed: 'SEAL_NOT_RUNNING',
          sealed: 'done',
          recoverStalledSeal: 'SEAL_NOT_STALLED',
        },
      ],
      [
        'running',
        'live lease',
        {
          claimSeal: 'SEAL_LEASED',
          renewSealLease: RUNNING_LEASED,
          sealFailed: 'failed',
          sealed: 'done',
          recoverStalledSeal: 'SEAL_NOT_STALLED',
        },
      ],
      [
        'running',
        'lease run out',
        {
          claimSeal: RUNNING_LEASED,
          renewSealLease: RUNNING_LEASED,
          sealFailed: 'failed',
          sealed: 'done',
          recoverStalledSeal: 'pending',
        },
      ],
      [
        'running',
        'no lease',
        {
          claimSeal: RUNNING_LEASED,
          renewSealLease: RUNNING_LEASED,
          sealFailed: 'failed',
          sealed: 'done',
          recoverStalledSeal: 'SEAL_NOT_STALLED',
        },
      ],
      [
        'failed',
        'no lease',
        {
          claimSeal: RUNNING_LEASED,
          renewSealLease: 'SEAL_NOT_RUNNING',
          sealFailed: 'SEAL_NOT_RUNNING',
          sealed: 'done',
          recoverStalledSeal: 'SEAL_NOT_STALLED',
        },
      ],
      [
        'done',
        'no lease',
        {
          claimSeal: 'SEAL_ALREADY_DONE',
          renewSealLease: 'SEAL_NOT_RUNNING',
          sealFailed: 'SEAL_NOT_RUNNING',
          sealed: 'SEAL_ALREADY_DONE',
          recoverStalledSeal: 'SEAL_NOT_STALLED',
        },
      ],
    ];

    const sealOutcome = (result: Transition) => {
      if (!result.allowed) return result.refusal.code;
      if (result.state.seal !== 'running') return result.state.seal;
      const lease = result.state.sealLeaseUntil;
      return lease
        ? `running until +${(lease.getTime() - NOW.getTime()) / 1000}s`
        : 'running without a lease';
    };

    for (const [seal, lease, expected] of COMPLETED) {
      for (const [type, want] of Object.entries(expected) as [SealEvent, string][]) {
        it(`${type} on a completed envelope, seal ${seal} (${lease}): ${want}`, () => {
          const state = envelope('completed', [recipient('me', 'completed')], {
            seal,
            sealLeaseUntil: leaseUntil[lease],
          });
          const result = run(state, sealEvent(type));
          assert.equal(sealOutcome(result), want);
          if (result.allowed) assert.equal(result.state.status, 'completed');
        });
      }
    }

    it('covers every seal state on a completed envelope', () => {
      assert.deepEqual(new Set(COMPLETED.map(([seal]) => seal)), new Set(SEAL_STATES));
    });

    it('clears the lease when the seal fails, is done or is recovered, and queues a recovered seal again', () => {
      const running = envelope('completed', [], { seal: 'running', sealLeaseUntil: later(-1) });
      for (const type of ['sealFailed', 'sealed', 'recoverStalledSeal'] as const) {
        const result = run(running, sealEvent(type));
        assert.ok(result.allowed, type);
        assert.equal(result.state.sealLeaseUntil, null, type);
        assert.deepEqual(result.effects, type === 'recoverStalledSeal' ? [{ kind: 'queueSeal' }] : [], type);
      }
    });

    it('seals only a completed envelope', () => {
      for (const status of ENVELOPE_STATUSES.filter((s) => s !== 'completed')) {
        const state = envelope(status, [], { seal: 'pending' });
        assert.equal(outcome(run(state, sealEvent('claimSeal'))), 'ENVELOPE_NOT_COMPLETED', status);
        assert.equal(outcome(run(state, sealEvent('sealed'))), 'ENVELOPE_NOT_COMPLETED', status);
        const stalled = envelope(status, [], { seal: 'running', sealLeaseUntil: later(-1) });
        assert.equal(outcome(run(stalled, sealEvent('recoverStalledSeal'))), 'SEAL_NOT_STALLED', status);
      }
    });
  });

  it('has exercised every event', () => {
    const every: Record<EventType, true> = {
      send: true,
      void: true,
      remind: true,
      delete: true,
      issueSigningUrl: true,
      view: true,
      viewDocument: true,
      act: true,
      consent: true,
      fillFields: true,
      finish: true,
      decline: true,
      advanceRouting: true,
      invite: true,
      expire: true,
      claimSeal: true,
      renewSealLease: true,
      sealFailed: true,
      sealed: true,
      recoverStalledSeal: true,
    };
    assert.deepEqual([...covered].sort(), Object.keys(every).sort());
  });
});
