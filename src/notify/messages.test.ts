import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EnvelopeFacts, invitationMail, oneTimeCodeMail, voidedMail } from './messages.ts';
import { checkTemplate, defaultTemplate, TEMPLATE_KINDS } from './templates.ts';

const facts = (overrides: Partial<EnvelopeFacts> = {}): EnvelopeFacts => ({
  title: 'Lease\nBcc: victim@example.com',
  organizationName: 'Acme Holdings Ltd',
  senderName: '',
  senderEmail: 'grace@acme.test',
  brand: {
    productName: 'Acme Sign',
    organizationName: 'Acme Holdings Ltd',
    primaryColor: '#0b5d3b',
    logoUrl: null,
    logoSize: null,
    emailSenderName: 'Acme Sign',
    replyTo: null,
  },
  defaultLanguage: 'en',
  people: new Map([['ada@example.com', { name: 'Ada <Lovelace>', language: null }]]),
  templates: new Map(),
  ...overrides,
});

describe('mail composition', () => {
  it('lets the brand speak when no person sent the envelope, and replies go to the sender', () => {
    const mail = invitationMail(
      { ...facts(), message: '', recipientName: 'Ada', role: 'approver' },
      'ada@example.com',
      'https://sign.acme.test/sign/abc',
    );
    assert.equal(mail.fromName, 'Acme Sign');
    assert.equal(mail.replyTo, 'grace@acme.test');
    assert.match(mail.text, /Acme Sign has sent you "[\s\S]*" to approve\./);
    assert.match(mail.text, /Review and approve: https:\/\/sign\.acme\.test\/sign\/abc/);
    assert.doesNotMatch(mail.text, /\n\n\n/, 'an empty message leaves no empty paragraph');
  });

  it('keeps the subject on one line and values out of the markup', () => {
    const mail = voidedMail(
      facts({ senderName: 'Grace Hopper' }),
      'ada@example.com',
      '<img src=x onerror=alert(1)>',
    );
    assert.equal(mail.subject, 'Voided: Lease Bcc: victim@example.com');
    assert.match(mail.html, /&#60;img src=x onerror=alert\(1\)&#62;/);
    assert.doesNotMatch(mail.html, /<img src=x/);
    assert.equal(mail.fromName, 'Grace Hopper via Acme Sign');
  });

  it('writes in the recipient’s language, else the organisation’s', () => {
    const german = oneTimeCodeMail(
      facts({ people: new Map([['ada@example.com', { name: 'Ada', language: 'de' }]]) }),
      'ada@example.com',
      '123456',
      10,
    );
    assert.match(german.subject, /^Ihr Code zum Unterschreiben von/);
    assert.doesNotMatch(german.subject, /123456/);
    assert.match(german.text, /Ihr Einmalcode lautet 123456/);
    const byDefault = oneTimeCodeMail(facts({ defaultLanguage: 'de' }), 'someone@example.com', '123456', 10);
    assert.equal(byDefault.language, 'de');
  });

  it('has every standard template pass its own checks', () => {
    for (const kind of TEMPLATE_KINDS) {
      for (const language of ['en', 'de'] as const) {
        assert.doesNotThrow(
          () => checkTemplate(kind, defaultTemplate(kind, language)),
          `${kind} in ${language}`,
        );
      }
    }
  });
});
