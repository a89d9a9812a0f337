import assert from 'node:assert/strict';
import { createVerify } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import { runTool } from '../../../test/peers/pdfValidators.ts';
import { parseAuthnRequestWithPysaml2 } from '../../../test/peers/pysaml2Idp.ts';
import { cleanupSamlWorld, useSamlWorld } from '../../../test/peers/saml/world.ts';
import { SignetError } from '../../errors.ts';
import { createAuthnRequest, createSpKeyPair } from './index.ts';
import { NS } from './xml.ts';

describe('AuthnRequests (createAuthnRequest)', () => {
  after(cleanupSamlWorld);

  it('Redirect binding: the query signature verifies over the exact SAMLRequest=…&RelayState=…&SigAlg=… bytes', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const request = createAuthnRequest(world.sp, world.idp, { binding: 'redirect', relayState: 'check 1/2' });
    assert.equal(request.binding, 'redirect');
    if (request.binding !== 'redirect') return;
    assert.ok(request.url.startsWith(`${world.idp.ssoRedirectUrl}?`));
    const query = request.url.slice(request.url.indexOf('?') + 1);
    const signatureAt = query.indexOf('&Signature=');
    const signedBytes = query.slice(0, signatureAt);
    assert.match(signedBytes, /^SAMLRequest=[^&]+&RelayState=[^&]+&SigAlg=[^&]+$/);
    const params = new URLSearchParams(query);
    assert.equal(params.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    assert.equal(params.get('RelayState'), 'check 1/2');
    const verifier = createVerify('RSA-SHA256').update(signedBytes, 'utf8');
    assert.ok(verifier.verify(world.sp.certificatePem, params.get('Signature') ?? '', 'base64'));
    const other = createSpKeyPair('not Signet').certificatePem;
    assert.ok(
      !createVerify('RSA-SHA256')
        .update(signedBytes)
        .verify(other, params.get('Signature') ?? '', 'base64'),
    );
    const xml = inflateRawSync(Buffer.from(params.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    assert.equal(xml, request.xml);
    assert.match(xml, new RegExp(`ID="${request.id}"`));
  });

  it('Redirect binding: pysaml2, as the IdP, parses the request and verifies its query signature', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    // A RelayState with characters URL encoders disagree on (space, slash, *, !, ', ( and )):
    // the IdP re-encodes before verifying, so Signet must sign the bytes it would produce.
    const request = createAuthnRequest(world.sp, world.idp, {
      binding: 'redirect',
      relayState: "check 1/2*!'()~",
    });
    const parsed = await parseAuthnRequestWithPysaml2(world.peer, world.spMetadataXml, request);
    assert.equal(parsed.id, request.id);
    assert.equal(parsed.issuer, world.sp.entityId);
    assert.equal(parsed.acsUrl, world.sp.acsUrl);
    assert.equal(parsed.destination, world.idp.ssoRedirectUrl);
    assert.equal(parsed.protocolBinding, 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    assert.equal(parsed.signatureVerified, true);
  });

  it('Redirect binding: pysaml2 refuses a request whose signature was made for other bytes', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const request = createAuthnRequest(world.sp, world.idp, { binding: 'redirect', relayState: 'check-1' });
    if (request.binding !== 'redirect') return;
    const tampered = { ...request, url: request.url.replace('RelayState=check-1', 'RelayState=check-2') };
    await assert.rejects(
      parseAuthnRequestWithPysaml2(world.peer, world.spMetadataXml, tampered),
      /did not verify/,
    );
  });

  it('POST binding: the enveloped signature verifies with xmlsec1 and the SP certificate', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const request = createAuthnRequest(world.sp, world.idp, { binding: 'post', relayState: 'check-1' });
    assert.equal(request.binding, 'post');
    if (request.binding !== 'post') return;
    assert.equal(request.action, world.idp.ssoPostUrl);
    assert.equal(request.fields.RelayState, 'check-1');
    const xml = Buffer.from(request.fields.SAMLRequest ?? '', 'base64').toString('utf8');
    const dir = join(world.peer.certFile, '..');
    await writeFile(join(dir, 'authn-request.xml'), xml);
    await writeFile(join(dir, 'sp.crt.pem'), world.sp.certificatePem);
    const verify = (file: string) =>
      runTool('xmlsec1', [
        '--verify',
        '--pubkey-cert-pem',
        join(dir, 'sp.crt.pem'),
        '--id-attr:ID',
        `${NS.protocol}:AuthnRequest`,
        join(dir, file),
      ]);
    const result = await verify('authn-request.xml');
    assert.equal(result.exitCode, 0, result.stderr);
    await writeFile(
      join(dir, 'authn-request-changed.xml'),
      xml.replace(world.sp.acsUrl, 'https://evil.example/acs'),
    );
    assert.notEqual((await verify('authn-request-changed.xml')).exitCode, 0);
  });

  it('POST binding: pysaml2, as the IdP requiring signed requests, parses and verifies it', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const request = createAuthnRequest(world.sp, world.idp, { binding: 'post', relayState: 'check-1' });
    const parsed = await parseAuthnRequestWithPysaml2(world.peer, world.spMetadataXml, request);
    assert.equal(parsed.id, request.id);
    assert.equal(parsed.acsUrl, world.sp.acsUrl);
    assert.equal(parsed.destination, world.idp.ssoPostUrl);
    assert.equal(parsed.signatureVerified, true);
  });

  it('POST binding: pysaml2 refuses the request when a byte changed after signing', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const request = createAuthnRequest(world.sp, world.idp, { binding: 'post', relayState: 'check-1' });
    if (request.binding !== 'post') return;
    const xml = request.xml.replace('AllowCreate="true"', 'AllowCreate="false"');
    const tampered = {
      ...request,
      fields: { ...request.fields, SAMLRequest: Buffer.from(xml).toString('base64') },
    };
    await assert.rejects(
      parseAuthnRequestWithPysaml2(world.peer, world.spMetadataXml, tampered),
      /IncorrectlySigned|signature/i,
    );
  });

  it('uses the given clock for IssueInstant and a fresh NCName ID each time', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const now = new Date('2026-01-02T03:04:05.678Z');
    const a = createAuthnRequest(world.sp, world.idp, { binding: 'post', relayState: 'x', now });
    const b = createAuthnRequest(world.sp, world.idp, { binding: 'post', relayState: 'x', now });
    assert.equal(a.issueInstant.toISOString(), '2026-01-02T03:04:05.000Z');
    assert.match(a.xml, /IssueInstant="2026-01-02T03:04:05Z"/);
    assert.match(a.id, /^_[0-9a-f]{40}$/);
    assert.notEqual(a.id, b.id);
  });

  it('refuses a RelayState longer than 80 bytes (SAML bindings §3.4.3)', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const { sp, idp } = world;
    assert.throws(
      () => createAuthnRequest(sp, idp, { binding: 'redirect', relayState: 'x'.repeat(81) }),
      (error: unknown) => error instanceof SignetError && error.code === 'SAML_RELAY_STATE_INVALID',
    );
  });

  it('refuses a binding the IdP does not offer', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const { sp, idp } = world;
    const { ssoPostUrl: _dropped, ...redirectOnly } = idp;
    assert.throws(
      () => createAuthnRequest(sp, redirectOnly, { binding: 'post', relayState: 'x' }),
      (error: unknown) => error instanceof SignetError && error.code === 'SAML_BINDING_UNSUPPORTED',
    );
  });
});
