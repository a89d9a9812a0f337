import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignetError } from '../errors.ts';
import {
  assertOpenForSigning,
  assertSenderAction,
  ENVELOPE_STATUSES,
  type EnvelopeStatus,
  type SenderAction,
} from './state.ts';

const refusal = (run: () => void): string | null => {
  try {
    run();
    return null;
  } catch (error) {
    assert.ok(error instanceof SignetError);
    assert.equal(error.status, 409);
    return error.code;
  }
};

describe('the envelope state machine', () => {
  const table: [SenderAction, EnvelopeStatus, string | null][] = [
    ['send', 'draft', null],
    ['send', 'sent', 'ENVELOPE_ALREADY_SENT'],
    ['send', 'completed', 'ENVELOPE_ALREADY_SENT'],
    ['void', 'draft', null],
    ['void', 'sent', null],
    ['void', 'completed', 'ENVELOPE_NOT_VOIDABLE'],
    ['void', 'voided', 'ENVELOPE_NOT_VOIDABLE'],
    ['void', 'declined', 'ENVELOPE_NOT_VOIDABLE'],
    ['remind', 'sent', null],
    ['remind', 'draft', 'ENVELOPE_NOT_IN_PROGRESS'],
    ['delete', 'draft', null],
    ['delete', 'sent', 'ENVELOPE_NOT_DRAFT'],
    ['signingUrl', 'sent', null],
    ['signingUrl', 'completed', 'ENVELOPE_NOT_IN_PROGRESS'],
  ];
  for (const [action, status, expected] of table) {
    it(`${expected ? 'refuses' : 'allows'} ${action} when ${status}${expected ? ` (${expected})` : ''}`, () => {
      assert.equal(
        refusal(() => assertSenderAction(status, action)),
        expected,
      );
    });
  }

  it('lets signers act only while the envelope is sent, with a reason for each other state', () => {
    const codes = ENVELOPE_STATUSES.map((status) => refusal(() => assertOpenForSigning(status)));
    assert.deepEqual(codes, [
      'ENVELOPE_NOT_SENT',
      null,
      'ENVELOPE_COMPLETED',
      'ENVELOPE_DECLINED',
      'ENVELOPE_VOIDED',
      'ENVELOPE_EXPIRED',
    ]);
  });
});
