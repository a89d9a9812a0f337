import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENVELOPE_EVENT_TYPES, payloadBody, recipientIdOf, webhookTypeOfAudit } from './events.ts';

describe('webhook events from audit events (webhookTypeOfAudit)', () => {
  // [audit event type, webhook event type or undefined]
  const table: [string, string | undefined][] = [
    ['envelope.created', 'envelope.created'],
    ['envelope.sent', 'envelope.sent'],
    ['envelope.completed', undefined], // the last finish: announced once sealed
    ['envelope.sealed', 'envelope.completed'],
    ['envelope.declined', 'envelope.declined'],
    ['envelope.voided', 'envelope.voided'],
    ['envelope.expired', 'envelope.expired'],
    ['envelope.reminded', undefined],
    ['recipient.invited', 'recipient.invited'],
    ['recipient.reminded', undefined],
    ['recipient.viewed', 'recipient.viewed'],
    ['recipient.consented', undefined],
    ['recipient.signed', 'recipient.signed'],
    ['recipient.approved', 'recipient.approved'],
    ['recipient.acknowledged', 'recipient.acknowledged'],
    ['recipient.declined', 'recipient.declined'],
    ['recipient.signing_url_created', undefined],
    ['field.filled', undefined],
    ['identity.passed', undefined],
    ['mail.sent', undefined],
    ['toString', undefined],
    ['__proto__', undefined],
  ];
  for (const [audit, webhook] of table) {
    it(`${audit} → ${webhook ?? 'nothing'}`, () => assert.equal(webhookTypeOfAudit(audit), webhook));
  }

  it('announces every event type an endpoint may subscribe to', () => {
    const announced = new Set(table.map(([, webhook]) => webhook).filter(Boolean));
    assert.deepEqual([...announced].sort(), [...ENVELOPE_EVENT_TYPES].sort());
  });

  it('names the recipient of recipient events only', () => {
    assert.equal(recipientIdOf('recipient.signed', { recipientId: 'r1' }), 'r1');
    assert.equal(recipientIdOf('envelope.declined', { by: 'r1', recipientId: 'r1' }), undefined);
    assert.equal(recipientIdOf('recipient.viewed', {}), undefined);
  });

  it('writes the body as type, timestamp, (recipientId,) data', () => {
    assert.equal(
      payloadBody({ type: 'envelope.sent', timestamp: 't', data: { id: 'e' } }),
      '{"type":"envelope.sent","timestamp":"t","data":{"id":"e"}}',
    );
    assert.equal(
      payloadBody({ type: 'recipient.signed', timestamp: 't', recipientId: 'r', data: {} }),
      '{"type":"recipient.signed","timestamp":"t","recipientId":"r","data":{}}',
    );
  });
});
