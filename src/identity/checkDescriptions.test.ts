import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeIdentityCheck } from './checkDescriptions.ts';

describe('how the certificate of completion names each identity check', () => {
  const cases: [Parameters<typeof describeIdentityCheck>[0], string][] = [
    [
      { kind: 'email', status: 'passed', settings: {}, evidence: null },
      'Email link (possession of the invitation mailbox)',
    ],
    [
      { kind: 'accessCode', status: 'passed', settings: {}, evidence: null },
      'Access code given by the sender',
    ],
    [
      { kind: 'otp', status: 'passed', settings: { channel: 'sms', phone: '+447700900123' }, evidence: null },
      'One-time code by text message to +447700900123',
    ],
    [
      { kind: 'otp', status: 'locked', settings: { channel: 'email' }, evidence: null },
      'One-time code by email — locked',
    ],
    [
      {
        kind: 'saml',
        status: 'passed',
        settings: {},
        evidence: {
          idp: 'https://idp.example/metadata',
          levelOfAssurance: 'level2',
          match: { result: 'match' },
        },
      },
      'SAML identity provider https://idp.example/metadata, level of assurance level2, identity matched (GOV.UK Verify MDS)',
    ],
  ];
  for (const [check, expected] of cases) {
    it(`${check.kind} (${check.status}): "${expected}"`, () => {
      assert.equal(describeIdentityCheck(check), expected);
    });
  }
});

describe('the same checks on a German certificate', () => {
  it('says them in German, keeping the evidence’s own values as they are', () => {
    assert.equal(
      describeIdentityCheck(
        {
          kind: 'otp',
          status: 'locked',
          settings: { channel: 'sms', phone: '+4915112345678' },
          evidence: null,
        },
        'de',
      ),
      'Einmalcode per SMS an +4915112345678 — gesperrt',
    );
    assert.equal(
      describeIdentityCheck(
        {
          kind: 'oidc',
          status: 'passed',
          settings: {},
          evidence: { email: 'ada@example.com', issuer: 'https://login.example' },
        },
        'de',
      ),
      'OpenID-Connect-Anbieter (ada@example.com bei https://login.example)',
    );
  });
});
