import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDevice, type TimelineDirectory, type TimelineEvent, timelineOf } from './timeline.ts';

const ADA = '6a0c4d2e-1111-4aaa-8bbb-000000000001';
const CARL = '6a0c4d2e-1111-4aaa-8bbb-000000000002';
const GRACE = '6a0c4d2e-2222-4aaa-8bbb-000000000003';
const KEY = '6a0c4d2e-3333-4aaa-8bbb-000000000004';
const DOCUMENT = '6a0c4d2e-4444-4aaa-8bbb-000000000005';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

const directory: TimelineDirectory = {
  recipients: new Map([
    [ADA, { name: 'Ada Lovelace', email: 'ada@example.com', role: 'signer' }],
    [CARL, { name: 'Carl Copy', email: 'carl@example.com', role: 'cc' }],
  ]),
  users: new Map([[GRACE, { name: 'Grace Hopper', email: 'grace@example.com' }]]),
  apiKeys: new Map([[KEY, { name: 'CRM', createdBy: null }]]),
  documents: new Map([[DOCUMENT, 'Lease.pdf']]),
  sender: { name: 'Grace Hopper', email: 'grace@example.com' },
  productName: 'Acme Sign',
};

let seq = 0;
const event = (
  type: string,
  actor: string,
  data: Record<string, unknown> = {},
  client: { ip?: string; userAgent?: string } = {},
): TimelineEvent => ({
  seq: ++seq,
  at: `2025-03-0${Math.min(9, seq)}T14:02:00.000Z`,
  type,
  actor,
  ip: client.ip ?? null,
  userAgent: client.userAgent ?? null,
  data,
});

const story = [
  event(
    'envelope.created',
    `user:${GRACE}`,
    { title: 'Lease' },
    { ip: '192.0.2.1', userAgent: 'curl/8.5.0' },
  ),
  event('envelope.sent', `api-key:${KEY}`),
  event('recipient.invited', 'system', { recipientId: ADA }),
  event(
    'recipient.viewed',
    `recipient:${ADA}`,
    { recipientId: ADA },
    { ip: '81.2.69.160', userAgent: IPHONE },
  ),
  event('document.viewed', `recipient:${ADA}`, { documentId: DOCUMENT }),
  event('identity.passed', `recipient:${ADA}`, { recipientId: ADA, kind: 'otp' }),
  event('recipient.consented', `recipient:${ADA}`, { consentText: 'I agree.' }),
  event('recipient.signed', `recipient:${ADA}`, { recipientId: ADA }),
  event('envelope.completed', 'system'),
  event('mail.sent', 'system', { kind: 'completed', to: 'carl@example.com' }),
  event('mail.sent', 'system', { kind: 'completed', to: 'grace@example.com' }),
  event('envelope.reminded', 'system', { recipients: 1 }),
  event('something.new', `recipient:${ADA}`),
];

describe('the timeline of an envelope', () => {
  it('tells each event in plain words, naming people instead of ids', () => {
    assert.deepEqual(
      timelineOf(story, directory).map((entry) => entry.text),
      [
        'Grace Hopper created the envelope “Lease”',
        'API key “CRM” sent the envelope',
        'Ada Lovelace was invited to sign',
        'Ada Lovelace opened the document',
        'Ada Lovelace viewed “Lease.pdf”',
        'Ada Lovelace passed the one-time code check',
        'Ada Lovelace agreed to sign electronically',
        'Ada Lovelace signed',
        'Everyone has completed the envelope',
        'Carl Copy received a copy',
        'The completed document was emailed to Grace Hopper',
        'Reminders were sent automatically',
        'Ada Lovelace: something.new',
      ],
    );
  });

  it('says who acted, from which device and address', () => {
    const [created, , invited, opened] = timelineOf(story, directory);
    assert.deepEqual(opened, {
      seq: opened?.seq,
      at: opened?.at,
      action: 'recipient.viewed',
      actor: { kind: 'recipient', name: 'Ada Lovelace', email: 'ada@example.com' },
      text: 'Ada Lovelace opened the document',
      device: 'Safari on iPhone',
      ip: '81.2.69.160',
    });
    assert.deepEqual(created?.actor, { kind: 'user', name: 'Grace Hopper', email: 'grace@example.com' });
    assert.equal(created?.device, null, 'curl is no browser');
    assert.deepEqual(invited?.actor, { kind: 'system', name: 'Acme Sign', email: null });
  });

  it('speaks German', () => {
    const texts = timelineOf(story, directory, 'de').map((entry) => entry.text);
    assert.equal(texts[3], 'Ada Lovelace hat das Dokument geöffnet');
    assert.equal(texts[7], 'Ada Lovelace hat unterschrieben');
    assert.equal(texts[9], 'Carl Copy hat eine Kopie erhalten');
    assert.equal(timelineOf(story, directory, 'de')[3]?.device, 'Safari auf iPhone');
  });

  it('does not show an id when the person is unknown', () => {
    const [entry] = timelineOf(
      [event('recipient.viewed', 'recipient:6a0c4d2e-9999-4aaa-8bbb-00000000dead')],
      directory,
    );
    assert.equal(entry?.text, 'Someone opened the document');
  });
});

describe('describeDevice', () => {
  it('names the browser and the device or system', () => {
    assert.equal(
      describeDevice(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
      ),
      'Chrome on Windows',
    );
    assert.equal(
      describeDevice(
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
      ),
      'Safari on Mac',
    );
    assert.equal(describeDevice(null), null);
  });
});
