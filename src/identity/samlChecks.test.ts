import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { hasTool } from '../../test/peers/pdfValidators.ts';
import {
  answerWithPysaml2,
  createPysaml2Idp,
  hasPysaml2,
  PYSAML2_INSTALL,
  type Pysaml2Idp,
  type ResponseOptions,
} from '../../test/peers/pysaml2Idp.ts';
import { postToAcs as postAnswer, redirectRequest } from '../../test/peers/saml/browser.ts';
import {
  IDA_NS,
  MDS_FAULT_CASES,
  type MdsAttributes,
  mdsAttributeElements,
  OWN_VOCABULARY_ATTRIBUTE,
  PREFIX_DECLARED_ON_ANOTHER_VALUE,
  personName,
} from '../../test/peers/saml/mds.ts';
import { stripSignatures, toBase64, wrap } from '../../test/peers/saml/tamper.ts';
import {
  type ApiClient,
  apiClient,
  envelopeJson,
  latestTokenFor,
  openEveryDocument,
} from '../../test/support/apiClient.ts';
import { CookieJar } from '../../test/support/cookieJar.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import { makeSignaturePng } from '../../test/support/png.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../../test/support/signetHarness.ts';
import { createApiKey } from '../orgs/apiKeys.ts';
import type { AuthnRequest } from './saml/index.ts';

/*
 * SAML identity checks through Signet's real HTTP surface (SPEC §E, issue 4 contract): the
 * organisation imports pysaml2's IdP metadata with PUT /api/v1/identity-providers/saml; the
 * signer's browser follows GET …/identity/saml/start to the IdP; pysaml2 answers that very
 * AuthnRequest (checking its signature against the SP metadata Signet serves); the answer is
 * POSTed to /saml/{organizationId}/acs as the browser would; GET /api/v1/signing/{token} then
 * shows the outcome, and finish is refused until it passed. The signature and XML attacks are
 * judged one level down in saml/response.test.ts; here each outcome is followed through the
 * database, the audit trail, the signer's page and the certificate of completion.
 */

const run = promisify(execFile);

const EXPECTED = {
  firstName: 'Zoe',
  middleNames: 'Anne Marie',
  surname: 'Smith-Jones',
  dateOfBirth: '1980-05-24',
};
const LEVEL1 = 'urn:uk:gov:cabinet-office:tc:saml:authn-context:level1';

interface Check {
  kind: string;
  status: string;
  reason: string | null;
}

interface AuditEvent {
  type: string;
  data: Record<string, unknown>;
}

for (const kind of databaseKinds()) {
  describe(`SAML identity checks through Signet's ACS on ${kind}`, { concurrency: 4 }, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let organizationId: string;
    let idp: Pysaml2Idp | undefined;
    let spMetadataXml: string;
    let signerCount = 0;
    const work = mkdtempSync(join(tmpdir(), 'signet-saml-e2e-'));

    before(async () => {
      // The IdP metadata URL test serves metadata from loopback: the operator allows exactly that.
      signet = await startTestSignet(kind, { OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1/32' });
      const organization = await createTestOrganization(signet);
      organizationId = organization.organizationId;
      api = apiClient(signet.app, organization.apiKey);
      if (!(await hasPysaml2())) return;
      idp = await createPysaml2Idp();
      const configured = await api.put('/api/v1/identity-providers/saml', { metadataXml: idp.metadataXml });
      assert.equal(configured.status, 200, JSON.stringify(configured.body));
      const metadata = await signet.app.inject({ method: 'GET', url: `/saml/${organizationId}/metadata` });
      assert.equal(metadata.statusCode, 200);
      spMetadataXml = metadata.body;
    });
    after(async () => {
      await idp?.cleanup();
      await signet?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    /** The IdP peer, or undefined after marking the test skipped with the install command. */
    function peer(t: TestContext): Pysaml2Idp | undefined {
      if (!idp) t.skip(PYSAML2_INSTALL);
      return idp;
    }

    const signer = () => apiClient(signet.app);

    async function newSigner(
      identity: Record<string, unknown> = { kind: 'saml', minLevel: 'level2', expected: EXPECTED },
    ) {
      signerCount += 1;
      const email = `zoe${signerCount}@client.test`;
      const created = await api.post<{ id: string }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf(), {
          recipients: [{ name: 'Zoë Smith-Jones', email, identity: [identity] }],
          fields: [{ recipient: email, type: 'signature', page: 1, x: 50, y: 600, width: 150, height: 40 }],
        }),
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return {
        token: await latestTokenFor(api, email),
        envelopeId: created.body.id,
        /** The signer's own browser, which keeps the cookies Signet sets. */
        browser: new CookieJar(),
      };
    }

    /**
     * What the signer's browser does with the start URL: keep the round trip's cookie, and follow
     * the 302 or read the auto-posting form.
     */
    async function start(
      browser: CookieJar,
      token: string,
      binding: 'redirect' | 'post' = 'redirect',
    ): Promise<AuthnRequest> {
      const response = await browser.inject(signet.app, {
        method: 'GET',
        url: `/api/v1/signing/${token}/identity/saml/start${binding === 'post' ? '?binding=post' : ''}`,
      });
      if (binding === 'redirect') {
        assert.equal(response.statusCode, 302, response.body);
        const url = String(response.headers.location);
        assert.ok(new URL(url).searchParams.get('SAMLRequest'), 'the redirect carries a SAMLRequest');
        assert.ok(new URL(url).searchParams.get('Signature'), 'and its query signature');
        return redirectRequest(url);
      }
      assert.equal(response.statusCode, 200, response.body);
      const action = /<form id="saml" method="post" action="([^"]+)"/.exec(response.body)?.[1];
      assert.ok(action, 'an auto-posting form');
      const fields = Object.fromEntries(
        [...response.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
          m[1] as string,
          (m[2] as string).replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))),
        ]),
      );
      return { binding: 'post', action, fields, id: '', issueInstant: new Date(), xml: '' };
    }

    /** pysaml2 answers the AuthnRequest the browser carried to it. */
    async function answer(t: TestContext, request: AuthnRequest, options: ResponseOptions = {}) {
      const idpPeer = peer(t);
      assert.ok(idpPeer);
      return answerWithPysaml2(idpPeer, spMetadataXml, request, options);
    }

    /** `browser` posts the answer to the ACS; by default a browser that started nothing. */
    const postToAcs = (samlResponse: string, options: { browser?: CookieJar; organization?: string } = {}) =>
      postAnswer(signet.app, options.organization ?? organizationId, samlResponse, {
        ...(options.browser ? { browser: options.browser } : {}),
      });

    async function checkOf(token: string): Promise<Check | undefined> {
      const session = await signer().get<{ identity: Check[] }>(`/api/v1/signing/${token}`);
      return session.body.identity.find((c) => c.kind === 'saml');
    }

    async function auditOf(envelopeId: string): Promise<AuditEvent[]> {
      const trail = await api.get<{ events: AuditEvent[] }>(`/api/v1/envelopes/${envelopeId}/audit`);
      return trail.body.events;
    }

    /** One round trip: start, answer with `options` (optionally tampered with), post to the ACS. */
    async function roundTrip(
      t: TestContext,
      options: ResponseOptions,
      setup: {
        identity?: Record<string, unknown>;
        binding?: 'redirect' | 'post';
        tamper?: (xml: string) => string;
      } = {},
    ) {
      const { token, envelopeId, browser } = await newSigner(setup.identity);
      const request = await start(browser, token, setup.binding);
      const answered = await answer(t, request, { attributesXml: mdsAttributeElements(), ...options });
      const samlResponse = setup.tamper ? toBase64(setup.tamper(answered.xml)) : answered.samlResponse;
      const acs = await postToAcs(samlResponse, { browser });
      return {
        token,
        envelopeId,
        browser,
        samlResponse,
        requestId: answered.requestId,
        acs,
        check: await checkOf(token),
      };
    }

    async function finish(token: string) {
      await signer().post(`/api/v1/signing/${token}/consent`);
      await openEveryDocument(signer(), token);
      return signer().post<{ code?: string }>(`/api/v1/signing/${token}/finish`, {
        signature: { kind: 'drawn', png: makeSignaturePng().toString('base64') },
      });
    }

    it('passes a signed assertion whose MDS matches, then lets the signer finish; the certificate of completion says how', async (t) => {
      if (!peer(t)) return;
      const { token, envelopeId, browser } = await newSigner();
      const refused = await finish(token);
      assert.equal(refused.status, 403, 'finish is refused before the SAML check');
      assert.equal(refused.body.code, 'IDENTITY_REQUIRED');
      assert.equal((await checkOf(token))?.status, 'pending');

      const answered = await answer(t, await start(browser, token), {
        attributesXml: mdsAttributeElements(),
      });
      const acs = await postToAcs(answered.samlResponse, { browser });
      assert.equal(acs.status, 200, acs.page);
      assert.equal(acs.code, 'SAML_PASSED');
      assert.match(acs.page, /<h1>Identity verified<\/h1>/);
      assert.deepEqual(await checkOf(token), { kind: 'saml', status: 'passed', reason: null });

      const passed = (await auditOf(envelopeId)).find((e) => e.type === 'identity.passed');
      const evidence = passed?.data.evidence as Record<string, unknown>;
      assert.equal(evidence.idp, idp?.entityId);
      assert.equal(evidence.levelOfAssurance, 'level2');
      assert.equal((evidence.match as { result: string }).result, 'match');
      assert.equal(passed?.data.requestId, answered.requestId);

      const done = await finish(token);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      if (!hasTool('pdftotext')) return;
      await eventually(async () => {
        const envelope = await api.get<{ seal: { state: string } }>(`/api/v1/envelopes/${envelopeId}`);
        return envelope.body.seal.state === 'done' ? true : undefined;
      }, 'the seal');
      const certificate = await api.get(`/api/v1/envelopes/${envelopeId}/certificate`);
      assert.equal(certificate.status, 200);
      const file = join(work, `${envelopeId}-certificate.pdf`);
      writeFileSync(file, certificate.raw);
      const { stdout } = await run('pdftotext', [file, '-']);
      const text = stdout.replace(/\s+/g, ' ');
      assert.match(text, /SAML identity provider https:\/\/idp\.example\.test\/idp\/shibboleth/);
      assert.match(text, /level of assurance level2/);
      assert.match(text, /identity matched \(GOV\.UK Verify MDS\)/);
    });

    it('passes an encrypted assertion (AES-256-GCM) answering an HTTP-POST AuthnRequest', async (t) => {
      if (!peer(t)) return;
      const trip = await roundTrip(
        t,
        { encrypt: { block: 'aes256-gcm' }, signResponse: true },
        { binding: 'post' },
      );
      assert.equal(trip.acs.code, 'SAML_PASSED', trip.acs.page);
      assert.equal(trip.check?.status, 'passed');
    });

    it('passes an encrypted assertion (AES-128-CBC) answering an HTTP-Redirect AuthnRequest', async (t) => {
      if (!peer(t)) return;
      const trip = await roundTrip(t, { encrypt: { block: 'aes128-cbc' } });
      assert.equal(trip.acs.code, 'SAML_PASSED', trip.acs.page);
      assert.equal(trip.check?.status, 'passed');
    });

    it('passes and matches an encrypted MDS whose ida prefix the IdP declared on the Response, outside the encrypted bytes', async (t) => {
      if (!peer(t)) return;
      // pysaml2 serialises the encrypted assertion on its own, so the Response's declaration of
      // `ida` reaches Signet only around the cleartext; the xsi:type values must resolve to it
      // as they do unencrypted — even though another attribute binds `ida` in its own scope.
      const trip = await roundTrip(t, {
        attributesXml: [...mdsAttributeElements({}, ['saml', 'xsi']), OWN_VOCABULARY_ATTRIBUTE],
        declareNamespaces: { response: { ida: IDA_NS } },
        encrypt: { block: 'aes256-gcm' },
      });
      assert.equal(trip.acs.code, 'SAML_PASSED', trip.acs.page);
      assert.equal(trip.check?.status, 'passed');
      const passed = (await auditOf(trip.envelopeId)).find((e) => e.type === 'identity.passed');
      const evidence = passed?.data.evidence as { match?: { result: string } } | undefined;
      assert.equal(evidence?.match?.result, 'match');
    });

    const unresolvable: [string, MdsAttributes][] = [
      ['declared nowhere', { MDS_firstname: [personName('Zoë', { type: 'nope:PersonNameType' })] }],
      ['declared only on another attribute’s value', PREFIX_DECLARED_ON_ANOTHER_VALUE],
    ];
    for (const [where, overrides] of unresolvable) {
      it(`fails an encrypted MDS with MDS_INVALID when an xsi:type prefix is ${where}`, async (t) => {
        if (!peer(t)) return;
        const trip = await roundTrip(t, {
          attributesXml: mdsAttributeElements(overrides),
          encrypt: { block: 'aes128-cbc' },
          signResponse: true,
        });
        assert.equal(trip.acs.code, 'MDS_INVALID', trip.acs.page);
        assert.equal(trip.check?.status, 'failed');
        const failed = (await auditOf(trip.envelopeId)).find((e) => e.type === 'identity.failed');
        assert.deepEqual(failed?.data.statusCodes, ['MDS_firstname:MDS_WRONG_TYPE']);
      });
    }

    it('asks the IdP for the required level of assurance in the AuthnRequest', async (t) => {
      if (!peer(t)) return;
      const { token, browser } = await newSigner();
      const request = await start(browser, token, 'post');
      assert.ok(request.binding === 'post');
      const xml = Buffer.from(request.fields.SAMLRequest ?? '', 'base64').toString('utf8');
      assert.match(
        xml,
        /<samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>urn:uk:gov:cabinet-office:tc:saml:authn-context:level2<\/saml:AuthnContextClassRef>/,
      );
    });

    it('refuses the same response posted twice: InResponseTo is single-use (SAML_IN_RESPONSE_TO_REUSED)', async (t) => {
      if (!peer(t)) return;
      const trip = await roundTrip(t, {});
      assert.equal(trip.acs.code, 'SAML_PASSED');
      const again = await postToAcs(trip.samlResponse, { browser: trip.browser });
      assert.equal(again.status, 403);
      assert.equal(again.code, 'SAML_IN_RESPONSE_TO_REUSED');
      assert.equal((await checkOf(trip.token))?.status, 'passed', 'the replay does not undo the pass');
      const failed = (await auditOf(trip.envelopeId)).filter((e) => e.type === 'identity.failed');
      assert.deepEqual(
        failed.map((e) => e.data.reason),
        ['SAML_IN_RESPONSE_TO_REUSED'],
      );
    });

    it('refuses an assertion seen before even when its request looks unused (SAML_ASSERTION_REPLAYED)', async (t) => {
      if (!peer(t)) return;
      const { token, browser } = await newSigner();
      const answered = await answer(t, await start(browser, token), {
        attributesXml: mdsAttributeElements(),
      });
      const copied = browser.clone();
      assert.equal((await postToAcs(answered.samlResponse, { browser })).code, 'SAML_PASSED');
      // The second, independent defence: as if the request's consumed mark were lost (restored
      // from a backup, say) and its cookie copied before use, the assertion ID is still
      // remembered until the assertion expires.
      await signet.platform.db.query('update saml_requests set consumed_at = null where id = $1', [
        answered.requestId,
      ]);
      const again = await postToAcs(answered.samlResponse, { browser: copied });
      assert.equal(again.code, 'SAML_ASSERTION_REPLAYED');
    });

    it('keeps the round trip’s nonce in an HttpOnly cookie for this ACS alone, stores only its hash, and clears it once used', async (t) => {
      if (!peer(t)) return;
      const { token, browser } = await newSigner();
      const started = await browser.inject(signet.app, {
        method: 'GET',
        url: `/api/v1/signing/${token}/identity/saml/start`,
      });
      assert.equal(started.statusCode, 302, started.body);
      const [cookie] = started.cookies;
      assert.ok(cookie);
      assert.equal(cookie.name, 'signet_saml_round_trip');
      assert.equal(cookie.path, `/saml/${organizationId}/acs`);
      assert.equal(cookie.httpOnly, true);
      // PUBLIC_URL is plain http here: no Secure, hence Lax (browsers refuse None without Secure).
      assert.equal(cookie.sameSite, 'Lax');
      assert.notEqual(cookie.secure, true);
      assert.ok(cookie.value.length >= 43, 'a 256-bit nonce');
      const request = redirectRequest(String(started.headers.location));
      const answered = await answer(t, request, { attributesXml: mdsAttributeElements() });
      const [row] = await signet.platform.db.query<{ browser_binding_hash: string }>(
        'select browser_binding_hash from saml_requests where id = $1',
        [answered.requestId],
      );
      assert.equal(row?.browser_binding_hash, createHash('sha256').update(cookie.value).digest('hex'));
      assert.equal((await postToAcs(answered.samlResponse, { browser })).code, 'SAML_PASSED');
      assert.equal(browser.value('signet_saml_round_trip'), undefined, 'the ACS cleared the cookie');
    });

    it('refuses an answer delivered to another browser (SAML_BROWSER_MISMATCH): with no cookie or another round trip’s; the browser that started it still finishes it', async (t) => {
      if (!peer(t)) return;
      const victim = await newSigner();
      const answered = await answer(t, await start(victim.browser, victim.token), {
        attributesXml: mdsAttributeElements(),
      });
      // Login CSRF: someone else's browser is made to post the answer — one that started nothing,
      // and one in the middle of a round trip of its own.
      const other = await newSigner();
      const othersRequest = await start(other.browser, other.token);
      for (const browser of [new CookieJar(), other.browser]) {
        const refused = await postToAcs(answered.samlResponse, { browser });
        assert.equal(refused.status, 403);
        assert.equal(refused.code, 'SAML_BROWSER_MISMATCH');
        assert.match(refused.page, /Verification started in another browser/);
      }
      assert.deepEqual(await checkOf(victim.token), {
        kind: 'saml',
        status: 'failed',
        reason: 'SAML_BROWSER_MISMATCH',
      });
      const failed = (await auditOf(victim.envelopeId)).filter((e) => e.type === 'identity.failed');
      assert.deepEqual(
        failed.map((e) => e.data.reason),
        ['SAML_BROWSER_MISMATCH', 'SAML_BROWSER_MISMATCH'],
      );
      assert.ok(other.browser.value('signet_saml_round_trip'), 'a refused answer leaves that cookie alone');

      assert.equal((await postToAcs(answered.samlResponse, { browser: victim.browser })).code, 'SAML_PASSED');
      assert.equal((await checkOf(victim.token))?.status, 'passed');
      const othersAnswer = await answer(t, othersRequest, { attributesXml: mdsAttributeElements() });
      assert.equal(
        (await postToAcs(othersAnswer.samlResponse, { browser: other.browser })).code,
        'SAML_PASSED',
      );
    });

    it('fails as a timeout when the answer comes after the window (SAML_TIMEOUT), and a new start works', async (t) => {
      if (!peer(t)) return;
      const { token, browser } = await newSigner();
      const request = await start(browser, token);
      const answered = await answer(t, request, { attributesXml: mdsAttributeElements() });
      // The window (responseTimeoutSeconds, at least 30 s) is over: moved, rather than waited for.
      await signet.platform.db.query(
        "update saml_requests set expires_at = now() - interval '1 second' where id = $1",
        [answered.requestId],
      );
      const late = await postToAcs(answered.samlResponse, { browser });
      assert.equal(late.status, 403);
      assert.equal(late.code, 'SAML_TIMEOUT');
      assert.match(late.page, /Verification timed out/);
      assert.deepEqual(await checkOf(token), { kind: 'saml', status: 'failed', reason: 'SAML_TIMEOUT' });

      const retried = await answer(t, await start(browser, token), {
        attributesXml: mdsAttributeElements(),
      });
      assert.equal((await postToAcs(retried.samlResponse, { browser })).code, 'SAML_PASSED');
    });

    it('fails as a timeout when no answer comes at all within the window', async (t) => {
      if (!peer(t)) return;
      const { token, envelopeId, browser } = await newSigner();
      await start(browser, token);
      assert.deepEqual(await checkOf(token), { kind: 'saml', status: 'pending', reason: 'SAML_IN_PROGRESS' });
      await signet.platform.db.query(
        `update saml_requests set expires_at = now() - interval '1 second'
          where identity_check_id in (select id from identity_checks where envelope_id = $1)`,
        [envelopeId],
      );
      assert.deepEqual(await checkOf(token), { kind: 'saml', status: 'failed', reason: 'SAML_TIMEOUT' });
      const failed = (await auditOf(envelopeId)).find((e) => e.type === 'identity.failed');
      assert.equal(failed?.data.reason, 'SAML_TIMEOUT');
    });

    const idpOutcomes: {
      name: string;
      status: ResponseOptions['status'];
      reason: string;
      title: RegExp;
      codes: RegExp;
    }[] = [
      {
        name: 'the signer cancels at the IdP (Responder/NoAuthnContext, authn-cancel)',
        status: 'cancel',
        reason: 'SAML_CANCELLED',
        title: /Verification cancelled/,
        codes: /NoAuthnContext/,
      },
      {
        name: 'authentication fails at the IdP (Responder/AuthnFailed)',
        status: 'authn-failed',
        reason: 'SAML_AUTHN_FAILED',
        title: /Sign-in failed/,
        codes: /AuthnFailed/,
      },
      {
        name: 'the IdP reports another error',
        status: 'error',
        reason: 'SAML_IDP_ERROR',
        title: /Identity provider error/,
        codes: /Responder/,
      },
    ];
    for (const outcome of idpOutcomes) {
      it(`fails with ${outcome.reason} when ${outcome.name}, with a page saying what to do and the status codes audited`, async (t) => {
        if (!peer(t)) return;
        const trip = await roundTrip(t, { status: outcome.status });
        assert.equal(trip.acs.status, 403);
        assert.equal(trip.acs.code, outcome.reason);
        assert.match(trip.acs.page, outcome.title);
        assert.match(trip.acs.page, /Return to the signing page|Try again|contact the sender/i);
        assert.deepEqual(trip.check, { kind: 'saml', status: 'failed', reason: outcome.reason });
        const failed = (await auditOf(trip.envelopeId)).find((e) => e.type === 'identity.failed');
        assert.equal(failed?.data.reason, outcome.reason);
        assert.match(JSON.stringify(failed?.data.statusCodes), outcome.codes);
      });
    }

    it('fails with SAML_LEVEL_TOO_LOW when the IdP asserts level1 and the envelope requires level2', async (t) => {
      if (!peer(t)) return;
      const trip = await roundTrip(t, { authnContextClassRef: LEVEL1 });
      assert.equal(trip.acs.code, 'SAML_LEVEL_TOO_LOW');
      assert.match(trip.acs.page, /Higher level of assurance needed/);
      assert.equal(trip.check?.reason, 'SAML_LEVEL_TOO_LOW');
    });

    it('passes level1 when the envelope asks for no more than level1', async (t) => {
      if (!peer(t)) return;
      const trip = await roundTrip(
        t,
        { authnContextClassRef: LEVEL1 },
        { identity: { kind: 'saml', minLevel: 'level1' } },
      );
      assert.equal(trip.acs.code, 'SAML_PASSED');
    });

    it('fails with MDS_NO_MATCH when the verified identity is not the one the sender gave, and audits why', async (t) => {
      if (!peer(t)) return;
      const trip = await roundTrip(
        t,
        {},
        {
          identity: { kind: 'saml', expected: { ...EXPECTED, surname: 'Brown', dateOfBirth: '1980-05-25' } },
        },
      );
      assert.equal(trip.acs.code, 'MDS_NO_MATCH');
      assert.match(trip.acs.page, /Identity does not match/);
      const failed = (await auditOf(trip.envelopeId)).find((e) => e.type === 'identity.failed');
      const reasons = JSON.stringify(failed?.data.statusCodes);
      assert.match(reasons, /surname/i);
      assert.match(reasons, /date of birth|dateOfBirth/i);
      assert.ok(!reasons.includes('Brown') && !reasons.includes('Smith'), 'no names in the audit reasons');
    });

    it('matches a former surname only as a former one: the current verified surname is what counts', async (t) => {
      if (!peer(t)) return;
      const trip = await roundTrip(
        t,
        {},
        { identity: { kind: 'saml', expected: { ...EXPECTED, surname: 'Smith' } } },
      );
      assert.equal(trip.acs.code, 'MDS_NO_MATCH');
    });

    describe('every structural fault of the Matching Data Set fails the check with MDS_INVALID', {
      concurrency: 4,
    }, () => {
      for (const fault of MDS_FAULT_CASES) {
        it(`${fault.code} on ${fault.attribute} for ${fault.name}`, async (t) => {
          if (!peer(t)) return;
          const trip = await roundTrip(t, { attributesXml: mdsAttributeElements(fault.overrides) });
          assert.equal(trip.acs.code, 'MDS_INVALID', trip.acs.page);
          assert.equal(trip.check?.status, 'failed');
          const failed = (await auditOf(trip.envelopeId)).find((e) => e.type === 'identity.failed');
          assert.ok(
            ((failed?.data.statusCodes ?? []) as string[]).includes(`${fault.attribute}:${fault.code}`),
            JSON.stringify(failed?.data),
          );
        });
      }
    });

    it('refuses an answer to a request Signet never sent (SAML_IN_RESPONSE_TO_UNKNOWN); the check stays open', async (t) => {
      if (!peer(t)) return;
      const trip = await roundTrip(t, { inResponseTo: '_0123456789abcdef0123456789abcdef01234567' });
      assert.equal(trip.acs.status, 403);
      assert.equal(trip.acs.code, 'SAML_IN_RESPONSE_TO_UNKNOWN');
      assert.match(trip.acs.page, /could not be accepted/);
      assert.deepEqual(trip.check, { kind: 'saml', status: 'pending', reason: 'SAML_IN_PROGRESS' });
    });

    it('refuses an unsolicited response (no InResponseTo) and ties it to nobody', async (t) => {
      if (!peer(t)) return;
      const trip = await roundTrip(t, { inResponseTo: null });
      assert.equal(trip.acs.status, 403);
      assert.equal(trip.acs.code, 'SAML_UNSOLICITED');
      assert.equal(trip.check?.status, 'pending');
    });

    const attacks: {
      name: string;
      options?: ResponseOptions;
      tamper?: (xml: string) => string;
      reason: RegExp;
    }[] = [
      {
        name: 'an assertion meant for another audience',
        options: { audience: 'https://other.example/sp' },
        reason: /^SAML_AUDIENCE$/,
      },
      {
        name: 'a response addressed to another Destination',
        options: { destination: 'https://evil.example/acs' },
        reason: /^SAML_DESTINATION$/,
      },
      {
        name: 'a bearer confirmation for another Recipient',
        options: { recipient: 'https://evil.example/acs' },
        reason: /^SAML_RECIPIENT$/,
      },
      {
        name: 'an IdP clock 10 minutes ahead',
        options: { clockOffsetSeconds: 600 },
        reason: /^SAML_(NOT_YET_VALID|ISSUE_INSTANT)/,
      },
      {
        name: 'a NotOnOrAfter passed beyond the skew',
        options: { notOnOrAfterSeconds: -120 },
        reason: /^SAML_EXPIRED$/,
      },
      {
        name: 'a SHA-1 signature',
        options: { signatureAlgorithm: 'sha1' },
        reason: /^SAML_ALGORITHM_FORBIDDEN$/,
      },
      {
        name: 'Triple-DES encryption',
        options: { encrypt: { block: '3des' } },
        reason: /^SAML_ALGORITHM_FORBIDDEN$/,
      },
      { name: 'signatures stripped', tamper: stripSignatures, reason: /^SAML_SIGNATURE_MISSING$/ },
      { name: 'signature wrapping (XSW3)', tamper: (xml) => wrap(xml, 'XSW3'), reason: /^SAML_/ },
    ];
    for (const attack of attacks) {
      it(`fails the check for ${attack.name}, through the real ACS`, async (t) => {
        if (!peer(t)) return;
        const trip = await roundTrip(t, attack.options ?? {}, attack.tamper ? { tamper: attack.tamper } : {});
        assert.equal(trip.acs.status, 403);
        assert.match(trip.acs.code ?? '', attack.reason);
        assert.equal(trip.check?.status, 'failed');
        assert.match(trip.check?.reason ?? '', attack.reason);
      });
    }

    it("refuses another organisation's answer at this organisation's ACS", async (t) => {
      const idpPeer = peer(t);
      if (!idpPeer) return;
      const other = await createTestOrganization(signet, 'Other Ltd');
      const otherApi = apiClient(signet.app, other.apiKey);
      assert.equal(
        (await otherApi.put('/api/v1/identity-providers/saml', { metadataXml: idpPeer.metadataXml })).status,
        200,
      );
      const { token, browser } = await newSigner();
      const answered = await answer(t, await start(browser, token), {
        attributesXml: mdsAttributeElements(),
      });
      const crossed = await postToAcs(answered.samlResponse, { browser, organization: other.organizationId });
      assert.equal(crossed.status, 403);
      assert.match(crossed.code ?? '', /^SAML_(DESTINATION|AUDIENCE|RECIPIENT|IN_RESPONSE_TO_UNKNOWN)$/);
      assert.equal((await checkOf(token))?.status, 'pending', 'the signer’s own check is untouched');
      assert.equal((await postToAcs(answered.samlResponse, { browser })).code, 'SAML_PASSED');
    });

    it('imports the IdP metadata from a URL, and says clearly when the URL does not answer with it', async (t) => {
      const idpPeer = peer(t);
      if (!idpPeer) return;
      const other = apiClient(signet.app, (await createTestOrganization(signet, 'By URL Ltd')).apiKey);
      const server = createServer((request, response) => {
        if (request.url === '/idp/metadata') {
          response
            .writeHead(200, { 'content-type': 'application/samlmetadata+xml' })
            .end(idpPeer.metadataXml);
        } else response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const imported = await other.put<{ identityProvider: { entityId: string; certificates: number } }>(
          '/api/v1/identity-providers/saml',
          { metadataUrl: `${base}/idp/metadata` },
        );
        assert.equal(imported.status, 200, JSON.stringify(imported.body));
        assert.equal(imported.body.identityProvider.entityId, idpPeer.entityId);
        assert.equal(imported.body.identityProvider.certificates, 1);
        const missing = await other.put('/api/v1/identity-providers/saml', {
          metadataUrl: `${base}/nothing`,
        });
        assert.equal(missing.status, 422);
        assert.equal(missing.body.code, 'SAML_METADATA_UNREACHABLE');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      const closed = await other.put('/api/v1/identity-providers/saml', {
        metadataUrl: 'http://127.0.0.1:9/m',
      });
      assert.equal(closed.status, 422);
      assert.equal(closed.body.code, 'SAML_METADATA_UNREACHABLE');
    });

    it('answers a malformed ACS post with a page, not a server error, and changes nothing', async () => {
      const garbage = await postToAcs('not base64 at all!');
      assert.equal(garbage.status, 403);
      const empty = await signet.app.inject({
        method: 'POST',
        url: `/saml/${organizationId}/acs`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'RelayState=x',
      });
      assert.equal(empty.statusCode, 400);
      const unknown = await postToAcs('PHg+PC94Pg==', { organization: 'not-a-uuid' });
      assert.equal(unknown.status, 404);
    });

    it('refuses to start for a signer without a SAML check, and the IdP settings need organization:admin', async () => {
      const { token } = await newSigner({ kind: 'email' });
      const refused = await signer().get<{ code: string }>(`/api/v1/signing/${token}/identity/saml/start`);
      assert.equal(refused.status, 404);
      assert.equal(refused.body.code, 'IDENTITY_METHOD_NOT_REQUIRED');
      const writer = await createApiKey(signet.platform.db, {
        organizationId,
        scopes: ['envelopes:read', 'envelopes:write'],
      });
      const notAdmin = await apiClient(signet.app, writer.key).put('/api/v1/identity-providers/saml', {
        metadataXml: '<x/>',
      });
      assert.equal(notAdmin.status, 403);
      const noIdp = await signer().put('/api/v1/identity-providers/saml', { metadataXml: '<x/>' });
      assert.equal(noIdp.status, 401);
    });
  });
}
