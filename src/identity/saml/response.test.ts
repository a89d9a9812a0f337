import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import type { ResponseOptions } from '../../../test/peers/pysaml2Idp.ts';
import {
  gender,
  IDA_NS,
  mdsAttributeElements,
  OWN_VOCABULARY_ATTRIBUTE,
  PREFIX_DECLARED_ON_ANOTHER_VALUE,
} from '../../../test/peers/saml/mds.ts';
import {
  commentInNameId,
  EVIL_NAME_ID,
  editNameId,
  oversized,
  reencryptWithEditedNameId,
  resignWithAttackerKey,
  stripSignatures,
  toBase64,
  twoAssertions,
  withDoctype,
  wrap,
  type XswVariant,
} from '../../../test/peers/saml/tamper.ts';
import { cleanupSamlWorld, type SamlWorld, useSamlWorld } from '../../../test/peers/saml/world.ts';
import {
  createSpKeyPair,
  type SamlIdpConfig,
  type SamlOutcome,
  type SamlRejection,
  validateSamlResponse,
} from './index.ts';
import { parseMatchingDataSet } from './matchingDataSet.ts';
import { verifyEnvelopedSignature } from './signature.ts';
import { children, descendants, NS, parseXml, textOf } from './xml.ts';

/*
 * The SAML response matrix (SPEC §E): every case is a real AuthnRequest from createAuthnRequest,
 * answered by pysaml2 (signing and encrypting with xmlsec1), sometimes tampered with afterwards,
 * and judged by validateSamlResponse. Each case asserts the exact outcome kind and reason.
 */

after(cleanupSamlWorld);

interface Case {
  world: SamlWorld;
  requestId: string;
  outcome: SamlOutcome;
  xml: string;
}

async function judge(
  t: TestContext,
  options: ResponseOptions,
  tamper?: (xml: string) => string | Promise<string>,
  config: { idp?: Partial<SamlIdpConfig>; now?: Date; binding?: 'redirect' | 'post' } = {},
): Promise<Case | undefined> {
  const world = await useSamlWorld(t);
  if (!world) return undefined;
  const answer = await world.respond(options, config.binding);
  const samlResponse = tamper ? toBase64(await tamper(answer.xml)) : answer.samlResponse;
  const outcome = await validateSamlResponse(samlResponse, {
    sp: world.sp,
    idp: { ...world.idp, ...config.idp },
    ...(config.now ? { now: config.now } : {}),
  });
  return { world, requestId: answer.request.id, outcome, xml: answer.xml };
}

function assertSuccess(result: Case | undefined): Extract<SamlOutcome, { kind: 'success' }> | undefined {
  if (!result) return undefined;
  const { outcome } = result;
  assert.equal(
    outcome.kind,
    'success',
    outcome.kind === 'rejected' ? `${outcome.reason}: ${outcome.detail}` : '',
  );
  if (outcome.kind !== 'success') return undefined;
  assert.equal(outcome.inResponseTo, result.requestId);
  assert.equal(outcome.issuer, result.world.idp.entityId);
  return outcome;
}

function assertRejected(result: Case | undefined, reason: SamlRejection, detail?: RegExp): void {
  if (!result) return;
  const { outcome } = result;
  assert.equal(outcome.kind, 'rejected', `expected ${reason}, got ${JSON.stringify(outcome).slice(0, 300)}`);
  if (outcome.kind !== 'rejected') return;
  assert.equal(outcome.reason, reason, outcome.detail);
  if (detail) assert.match(outcome.detail, detail);
}

describe('SAML responses from pysaml2 that Signet accepts', { concurrency: 2 }, () => {
  it('accepts a valid response with a signed assertion and returns what the caller needs', async (t) => {
    const before = Date.now();
    const result = await judge(t, {
      nameId: 'signer-42',
      attributes: {
        'urn:oid:2.5.4.42': ['Jane'],
        'urn:oid:0.9.2342.19200300.100.1.3': ['jane@example.com', 'j@example.org'],
      },
    });
    const outcome = assertSuccess(result);
    if (!outcome) return;
    assert.equal(outcome.nameId, 'signer-42');
    assert.equal(outcome.authnContextClassRef, 'urn:uk:gov:cabinet-office:tc:saml:authn-context:level2');
    assert.deepEqual(outcome.attributes, {
      'urn:oid:2.5.4.42': ['Jane'],
      'urn:oid:0.9.2342.19200300.100.1.3': ['jane@example.com', 'j@example.org'],
    });
    assert.deepEqual(outcome.statusCodes, ['urn:oasis:names:tc:SAML:2.0:status:Success']);
    assert.match(outcome.assertionId, /^id-/);
    assert.match(outcome.assertionXml, new RegExp(`ID="${outcome.assertionId}"`));
    // The verified bytes: the enveloped signature is transformed away, the NameID is there.
    assert.doesNotMatch(outcome.assertionXml, /Signature/);
    assert.match(outcome.assertionXml, /signer-42/);
    assert.equal(outcome.responseXml, result?.xml);
    const expires = outcome.assertionExpiresAt.getTime();
    assert.ok(
      expires >= before + 290_000 && expires <= Date.now() + 301_000,
      outcome.assertionExpiresAt.toISOString(),
    );
  });

  it('accepts the answer to a Redirect-binding AuthnRequest', async (t) => {
    assertSuccess(await judge(t, {}, undefined, { binding: 'redirect' }));
  });

  it('accepts a response signed on both the Response and the Assertion', async (t) => {
    assertSuccess(await judge(t, { signResponse: true, signAssertion: true }));
  });

  it('accepts an encrypted assertion (AES-256-CBC, RSA-OAEP) and returns the decrypted, verified assertion', async (t) => {
    const result = await judge(t, {
      encrypt: { block: 'aes256-cbc', keyTransport: 'rsa-oaep' },
      nameId: 'enc-1',
    });
    assert.match(result?.xml ?? '', /EncryptedAssertion/);
    assert.doesNotMatch(result?.xml ?? '', /enc-1/);
    const outcome = assertSuccess(result);
    if (!outcome) return;
    assert.equal(outcome.nameId, 'enc-1');
    assert.match(outcome.assertionXml, /enc-1/);
  });

  it('accepts an encrypted assertion (AES-128-GCM) inside a signed Response', async (t) => {
    const result = await judge(t, { encrypt: { block: 'aes128-gcm' }, signResponse: true });
    assert.match(result?.xml ?? '', /xmlenc11#aes128-gcm/);
    assertSuccess(result);
  });

  it('accepts an IdP clock 30 seconds ahead (inside the 60-second skew)', async (t) => {
    assertSuccess(await judge(t, { clockOffsetSeconds: 30 }));
  });

  it('accepts an IdP clock 30 seconds behind with a NotOnOrAfter just passed (inside the skew)', async (t) => {
    assertSuccess(
      await judge(t, { clockOffsetSeconds: -30, notOnOrAfterSeconds: 10, subjectNotOnOrAfterSeconds: 10 }),
    );
  });

  it('accepts a signature by any of the pinned certificates (IdP key rollover)', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const next = createSpKeyPair('next IdP key').certificatePem;
    assertSuccess(
      await judge(t, {}, undefined, { idp: { certificatesPem: [next, ...world.idp.certificatesPem] } }),
    );
  });

  it('reads the whole NameID when a comment was inserted into it after signing', async (t) => {
    const value = 'alice@example.com.evil.test';
    const result = await judge(t, { nameId: value }, (xml) => commentInNameId(xml, 'alice@example.com'));
    const outcome = assertSuccess(result);
    if (!outcome) return;
    assert.equal(outcome.nameId, value);
  });
});

/** A complete MDS as GOV.UK Verify sends it, with an unverified gender. */
const GOV_UK_MDS = mdsAttributeElements({ MDS_gender: [gender('Female', { verified: 'false' })] });

describe('GOV.UK Verify Matching Data Set from pysaml2', { concurrency: 2 }, () => {
  for (const encrypt of [false, true]) {
    it(`hands over a${encrypt ? 'n encrypted' : ' signed'} MDS assertion that the MDS parser reads`, async (t) => {
      const result = await judge(t, {
        attributesXml: GOV_UK_MDS,
        signResponse: true,
        ...(encrypt ? { encrypt: { block: 'aes256-gcm' as const } } : {}),
      });
      const outcome = assertSuccess(result);
      if (!outcome) return;
      assert.deepEqual(outcome.attributes.MDS_surname, ['Smith-Jones', 'Smith']);
      assert.deepEqual(outcome.attributes.MDS_firstname, ['Zoë']);
      const parsed = parseMatchingDataSet(outcome.assertionXml, {
        contentNamespaces: outcome.contentNamespaces,
      });
      assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.faults));
      if (!parsed.ok) return;
      assert.deepEqual(parsed.mds.firstNames, [{ value: 'Zoë', from: '1980-05-24', verified: true }]);
      assert.equal(parsed.mds.surnames.length, 2);
      assert.deepEqual(
        parsed.mds.datesOfBirth.map((d) => d.value),
        ['1980-05-24'],
      );
      assert.equal(parsed.mds.gender?.value, 'Female');
      assert.deepEqual(parsed.mds.currentAddresses[0]?.value.lines, ['1 Horse Guards Road', 'London']);
      assert.equal(parsed.mds.currentAddresses[0]?.value.postCode, 'SW1A 2HQ');
    });
  }

  /** The MDS faults (attribute:code) of a successful outcome, [] when it parses. */
  async function mdsFaults(t: TestContext, options: ResponseOptions): Promise<string[] | undefined> {
    const outcome = assertSuccess(await judge(t, options));
    if (!outcome) return undefined;
    const parsed = parseMatchingDataSet(outcome.assertionXml, {
      contentNamespaces: outcome.contentNamespaces,
    });
    return parsed.ok ? [] : parsed.faults.map((f) => `${f.attribute}:${f.code}`);
  }

  // Encrypted, pysaml2 gives every name inside the assertion an `encasN` prefix of its own and
  // leaves xsi:type values as written, so `ida` is declared in none of the verified bytes: its
  // binding is wherever the IdP put it, and must resolve there as it does unencrypted.
  for (const encrypt of [false, true]) {
    const how = encrypt ? 'an encrypted' : 'a signed';
    const encryption = encrypt ? { encrypt: { block: 'aes256-gcm' as const } } : {};

    it(`reads ${how} MDS whose ida prefix the IdP declared on the Response alone, though another attribute binds ida otherwise in its own scope`, async (t) => {
      const faults = await mdsFaults(t, {
        attributesXml: [...mdsAttributeElements({}, ['saml', 'xsi']), OWN_VOCABULARY_ATTRIBUTE],
        declareNamespaces: { response: { ida: IDA_NS } },
        ...encryption,
      });
      assert.deepEqual(faults ?? [], []);
    });

    it(`reads ${how} MDS whose ida prefix the IdP declared on the Assertion alone`, async (t) => {
      const faults = await mdsFaults(t, {
        attributesXml: mdsAttributeElements({}, ['saml', 'xsi']),
        declareNamespaces: { assertion: { ida: IDA_NS } },
        signResponse: true,
        ...encryption,
      });
      assert.deepEqual(faults ?? [], []);
    });

    it(`does not resolve an xsi:type prefix in ${how} MDS from a declaration on another value`, async (t) => {
      const faults = await mdsFaults(t, {
        attributesXml: mdsAttributeElements(PREFIX_DECLARED_ON_ANOTHER_VALUE),
        ...encryption,
      });
      if (faults) assert.deepEqual(faults, ['MDS_firstname:MDS_WRONG_TYPE']);
    });
  }
});

describe('SAML responses from pysaml2 that Signet rejects', { concurrency: 2 }, () => {
  it('rejects an IdP clock 10 minutes ahead (NotBefore beyond the skew)', async (t) => {
    assertRejected(await judge(t, { clockOffsetSeconds: 600 }), 'SAML_NOT_YET_VALID');
  });

  it('rejects an IdP clock 10 minutes behind (NotOnOrAfter passed beyond the skew)', async (t) => {
    assertRejected(await judge(t, { clockOffsetSeconds: -600 }), 'SAML_EXPIRED');
  });

  it('rejects an assertion whose NotBefore is in the future beyond the skew', async (t) => {
    assertRejected(await judge(t, { notBeforeSeconds: 300 }), 'SAML_NOT_YET_VALID');
  });

  it('rejects an assertion whose NotOnOrAfter passed beyond the allowed clock skew', async (t) => {
    assertRejected(await judge(t, { notOnOrAfterSeconds: -120 }), 'SAML_EXPIRED');
  });

  it('rejects a bearer SubjectConfirmationData whose NotOnOrAfter passed', async (t) => {
    assertRejected(
      await judge(t, { subjectNotOnOrAfterSeconds: -120 }),
      'SAML_SUBJECT_CONFIRMATION',
      /expired/,
    );
  });

  it('rejects an assertion issued longer ago than the age limit plus skew', async (t) => {
    const now = new Date(Date.now() + 400_000);
    assertRejected(
      await judge(t, { notOnOrAfterSeconds: 3600, subjectNotOnOrAfterSeconds: 3600 }, undefined, { now }),
      'SAML_ISSUE_INSTANT',
      /too long ago/,
    );
  });

  it('honours a configured skew of zero: an IdP clock 30 seconds ahead is then refused', async (t) => {
    assertRejected(
      await judge(t, { clockOffsetSeconds: 30 }, undefined, { idp: { clockSkewSeconds: 0 } }),
      'SAML_NOT_YET_VALID',
    );
  });

  it('honours a configured maxAuthnAgeSeconds', async (t) => {
    const now = new Date(Date.now() + 120_000);
    assertRejected(
      await judge(t, {}, undefined, { now, idp: { maxAuthnAgeSeconds: 30 } }),
      'SAML_ISSUE_INSTANT',
      /too long ago/,
    );
  });

  it('rejects a signed Response changed after signing even though its assertion signature still verifies', async (t) => {
    assertRejected(
      await judge(t, { signResponse: true }, (xml) =>
        xml.replace(/(<ns0:Response[^>]*Destination=")[^"]+"/, '$1https://evil.example/acs"'),
      ),
      'SAML_SIGNATURE_INVALID',
      /Response signature/,
    );
  });

  it('rejects an assertion meant for another audience', async (t) => {
    assertRejected(
      await judge(t, { audience: 'https://other-sp.example/metadata' }),
      'SAML_AUDIENCE',
      /other-sp/,
    );
  });

  it('rejects an assertion without an AudienceRestriction', async (t) => {
    assertRejected(await judge(t, { audience: null }), 'SAML_AUDIENCE', /no AudienceRestriction/);
  });

  it('rejects an unsolicited response (no InResponseTo)', async (t) => {
    assertRejected(await judge(t, { inResponseTo: null }), 'SAML_UNSOLICITED');
  });

  it('rejects a response addressed to another Destination', async (t) => {
    assertRejected(await judge(t, { destination: 'https://evil.example/acs' }), 'SAML_DESTINATION');
  });

  it('rejects a signed response addressed to another Destination', async (t) => {
    assertRejected(
      await judge(t, { destination: 'https://evil.example/acs', signResponse: true }),
      'SAML_DESTINATION',
    );
  });

  it('rejects a bearer confirmation for another Recipient', async (t) => {
    assertRejected(await judge(t, { recipient: 'https://evil.example/acs' }), 'SAML_RECIPIENT');
  });

  it('rejects a response from another Issuer, even signed with the pinned key', async (t) => {
    assertRejected(await judge(t, { issuer: 'https://evil-idp.example/idp' }), 'SAML_ISSUER');
  });

  it('rejects an unsigned assertion inside a signed Response (WantAssertionsSigned)', async (t) => {
    assertRejected(
      await judge(t, { signResponse: true, signAssertion: false }),
      'SAML_SIGNATURE_MISSING',
      /inside the signed Response/,
    );
  });

  it('rejects a response with no signature at all', async (t) => {
    assertRejected(await judge(t, { signResponse: false, signAssertion: false }), 'SAML_SIGNATURE_MISSING');
  });

  it('rejects SHA-1 signatures and digests', async (t) => {
    assertRejected(await judge(t, { signatureAlgorithm: 'sha1' }), 'SAML_ALGORITHM_FORBIDDEN', /rsa-sha1/);
  });

  it('rejects Triple-DES content encryption', async (t) => {
    assertRejected(
      await judge(t, { encrypt: { block: '3des' } }),
      'SAML_ALGORITHM_FORBIDDEN',
      /tripledes-cbc/,
    );
  });

  it('rejects RSA PKCS#1 v1.5 key transport', async (t) => {
    assertRejected(
      await judge(t, { encrypt: { block: 'aes256-cbc', keyTransport: 'rsa-1_5' } }),
      'SAML_ALGORITHM_FORBIDDEN',
      /rsa-1_5/,
    );
  });

  it('rejects a response whose signatures were stripped', async (t) => {
    assertRejected(await judge(t, { signResponse: true }, stripSignatures), 'SAML_SIGNATURE_MISSING');
  });

  it('rejects a NameID edited after the assertion was signed', async (t) => {
    assertRejected(await judge(t, {}, (xml) => editNameId(xml)), 'SAML_SIGNATURE_INVALID');
  });

  it('rejects a NameID edited after the Response and Assertion were signed', async (t) => {
    assertRejected(
      await judge(t, { signResponse: true }, (xml) => editNameId(xml)),
      'SAML_SIGNATURE_INVALID',
    );
  });

  it('rejects an unsigned Response envelope naming another request than the signed assertion', async (t) => {
    assertRejected(
      await judge(t, {}, (xml) =>
        xml.replace(/(<ns0:Response[^>]*InResponseTo=")[^"]+"/, '$1_someone-elses-request"'),
      ),
      'SAML_IN_RESPONSE_TO_MISMATCH',
    );
  });

  it('rejects an assertion re-signed by an attacker with their own certificate in KeyInfo', async (t) => {
    const attacker = createSpKeyPair('attacker');
    const result = await judge(t, {}, (xml) => resignWithAttackerKey(xml, attacker));
    assertRejected(result, 'SAML_SIGNATURE_INVALID');
    if (!result) return;
    // Control: the forged document is otherwise perfect — pinning the attacker's certificate
    // would let it through, so the refusal above is the pinning at work.
    const forged = toBase64(resignWithAttackerKey(result.xml, attacker));
    const trusting = await validateSamlResponse(forged, {
      sp: result.world.sp,
      idp: { ...result.world.idp, certificatesPem: [attacker.certificatePem] },
    });
    assert.equal(trusting.kind === 'success' && trusting.nameId, EVIL_NAME_ID);
  });

  it('rejects a response signed by a key other than the pinned one (IdP re-keyed without metadata update)', async (t) => {
    const other = createSpKeyPair('old IdP key').certificatePem;
    assertRejected(
      await judge(t, {}, undefined, { idp: { certificatesPem: [other] } }),
      'SAML_SIGNATURE_INVALID',
    );
  });

  it('rejects an encrypted assertion that was not signed inside a signed Response', async (t) => {
    assertRejected(
      await judge(t, { encrypt: { block: 'aes256-cbc' }, signAssertion: false, signResponse: true }),
      'SAML_SIGNATURE_MISSING',
      /encrypted Assertion inside the signed Response/,
    );
  });

  it('rejects a SHA-1 signature hidden inside an encrypted assertion', async (t) => {
    assertRejected(
      await judge(t, { encrypt: { block: 'aes256-gcm' }, signatureAlgorithm: 'sha1' }),
      'SAML_ALGORITHM_FORBIDDEN',
      /inside the EncryptedAssertion: signature algorithm .*rsa-sha1/,
    );
  });

  it('rejects an encrypted assertion decrypted, edited and re-encrypted for the SP', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    assertRejected(
      await judge(t, { encrypt: { block: 'aes256-cbc' } }, (xml) => reencryptWithEditedNameId(xml, world.sp)),
      'SAML_SIGNATURE_INVALID',
      /encrypted Assertion signature/,
    );
  });

  it('rejects an assertion whose signature element is an empty shell, without crashing', async (t) => {
    assertRejected(
      await judge(t, {}, (xml) =>
        xml.replace(/<ns2:Signature\b[\s\S]*?<\/ns2:Signature>/, '<ns2:Signature Id="Signature1"/>'),
      ),
      'SAML_SIGNATURE_INVALID',
    );
  });

  it('rejects an assertion encrypted for another SP key', async (t) => {
    const other = createSpKeyPair('another SP');
    const result = await judge(t, { encrypt: { block: 'aes256-cbc' } }, undefined, {});
    if (!result) return;
    const outcome = await validateSamlResponse(toBase64(result.xml), {
      sp: { ...result.world.sp, ...other },
      idp: result.world.idp,
    });
    assert.equal(
      outcome.kind === 'rejected' && outcome.reason,
      'SAML_DECRYPTION_FAILED',
      JSON.stringify(outcome),
    );
  });

  it('rejects a response carrying two assertions', async (t) => {
    assertRejected(await judge(t, {}, (xml) => twoAssertions(xml)), 'SAML_MULTIPLE_ASSERTIONS');
  });

  it('rejects a DOCTYPE with an external entity (XXE) before parsing', async (t) => {
    assertRejected(await judge(t, {}, withDoctype), 'SAML_DOCTYPE');
  });

  const xsw: Array<[XswVariant, ResponseOptions]> = [
    ['XSW1', { signResponse: true, signAssertion: true }],
    ['XSW2', { signResponse: true, signAssertion: true }],
    ['XSW3', {}],
    ['XSW4', {}],
    ['XSW5', {}],
    ['XSW6', {}],
    ['XSW7', {}],
    ['XSW8', {}],
  ];
  for (const [variant, options] of xsw) {
    it(`rejects signature wrapping ${variant} (original signed element kept, evil assertion added)`, async (t) => {
      const result = await judge(t, options, (xml) => wrap(xml, variant));
      assertRejected(result, 'SAML_MULTIPLE_ASSERTIONS');
      if (!result) return;
      // The attack is real: the evil NameID is where a naive SP reads (the root's assertion, or
      // the first NameID in the document).
      const wrapped = wrap(result.xml, variant);
      const root = parseXml(wrapped).documentElement;
      assert.ok(root);
      const readable = children(root, NS.assertion, 'Assertion')[0];
      const firstNameId = descendants(root, NS.assertion, 'NameID')[0];
      const subject = readable && children(readable, NS.assertion, 'Subject')[0];
      const naive = [subject && children(subject, NS.assertion, 'NameID')[0], firstNameId].map(
        (element) => element && textOf(element),
      );
      assert.ok(naive.includes(EVIL_NAME_ID), `${variant} puts the evil NameID where it can be read`);
      // Second line of defence, behind the assertion count: no signature on the elements an SP
      // would read verifies content carrying the evil NameID.
      for (const element of [root, readable]) {
        if (!element) continue;
        const check = verifyEnvelopedSignature(wrapped, element, result.world.idp.certificatesPem);
        if (check.ok) assert.doesNotMatch(check.verifiedXml, new RegExp(EVIL_NAME_ID));
      }
    });
  }
});

describe('SAML error responses from pysaml2', { concurrency: 2 }, () => {
  function assertKind(
    result: Case | undefined,
    kind: 'cancelled' | 'authn-failed' | 'idp-error',
    codes: string[],
  ) {
    if (!result) return undefined;
    const { outcome } = result;
    assert.equal(outcome.kind, kind, JSON.stringify(outcome));
    if (outcome.kind !== kind) return undefined;
    assert.equal(outcome.inResponseTo, result.requestId);
    assert.deepEqual(
      outcome.statusCodes,
      codes.map((code) => `urn:oasis:names:tc:SAML:2.0:status:${code}`),
    );
    return outcome;
  }

  it("reports a cancel (Responder/NoAuthnContext, message 'authn-cancel') as cancelled", async (t) => {
    const outcome = assertKind(await judge(t, { status: 'cancel' }), 'cancelled', [
      'Responder',
      'NoAuthnContext',
    ]);
    assert.equal(outcome?.statusMessage, 'authn-cancel');
  });

  it('reports a signed cancel as cancelled too', async (t) => {
    assertKind(await judge(t, { status: 'cancel', signResponse: true }), 'cancelled', [
      'Responder',
      'NoAuthnContext',
    ]);
  });

  it('reports Responder/AuthnFailed as authn-failed', async (t) => {
    assertKind(await judge(t, { status: 'authn-failed' }), 'authn-failed', ['Responder', 'AuthnFailed']);
  });

  it('reports any other error status as idp-error', async (t) => {
    assertKind(await judge(t, { status: 'error' }), 'idp-error', ['Responder', 'RequestUnsupported']);
    assertKind(await judge(t, { status: 'requester-error' }), 'idp-error', ['Requester', 'RequestDenied']);
  });

  it('rejects an error response without InResponseTo', async (t) => {
    assertRejected(await judge(t, { status: 'cancel', inResponseTo: null }), 'SAML_UNSOLICITED');
  });

  it('rejects an error response addressed to another Destination', async (t) => {
    assertRejected(
      await judge(t, { status: 'authn-failed', destination: 'https://evil.example/acs' }),
      'SAML_DESTINATION',
    );
  });

  it('rejects a signed error response changed after signing', async (t) => {
    assertRejected(
      await judge(t, { status: 'authn-failed', signResponse: true }, (xml) =>
        xml.replace('AuthnFailed', 'NoPassive'),
      ),
      'SAML_SIGNATURE_INVALID',
    );
  });
});

describe('SAML responses refused at the edge', () => {
  const sp = { entityId: 'https://sp/metadata', acsUrl: 'https://sp/acs', ...createSpKeyPair('edge SP') };
  const idp = { entityId: 'https://idp', certificatesPem: [sp.certificatePem], clockSkewSeconds: 60 };

  it('rejects an oversized SAMLResponse before decoding it', async () => {
    const outcome = await validateSamlResponse(oversized(300 * 1024), { sp, idp });
    assert.equal(outcome.kind === 'rejected' && outcome.reason, 'SAML_TOO_LARGE');
  });

  it('rejects a SAMLResponse that is not base64', async () => {
    const outcome = await validateSamlResponse('not base64!', { sp, idp });
    assert.equal(outcome.kind === 'rejected' && outcome.reason, 'SAML_MALFORMED');
  });

  it('rejects base64 that is not well-formed XML', async () => {
    const outcome = await validateSamlResponse(toBase64('<samlp:Response><unclosed>'), { sp, idp });
    assert.equal(outcome.kind === 'rejected' && outcome.reason, 'SAML_MALFORMED');
  });

  it('rejects XML whose root is not a samlp:Response', async () => {
    const outcome = await validateSamlResponse(toBase64('<Response xmlns="urn:example"/>'), { sp, idp });
    assert.equal(outcome.kind === 'rejected' && outcome.reason, 'SAML_MALFORMED');
  });

  it('refuses to run with a clock skew above 300 seconds', async () => {
    await assert.rejects(
      validateSamlResponse(toBase64('<x/>'), { sp, idp: { ...idp, clockSkewSeconds: 301 } }),
      /SAML_CONFIG_INVALID/,
    );
  });
});
