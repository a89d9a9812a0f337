import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runTool } from '../../../test/peers/pdfValidators.ts';
import { cleanupSamlWorld, type SamlWorld, useSamlWorld } from '../../../test/peers/saml/world.ts';
import { SignetError } from '../../errors.ts';
import { checkIdpConfig, createSpKeyPair, parseIdpMetadata } from './index.ts';
import { NS, parseXml } from './xml.ts';

const refusal = (detail: RegExp) => (error: unknown) =>
  error instanceof SignetError &&
  error.code === 'SAML_METADATA_INVALID' &&
  error.status === 422 &&
  detail.test(error.detail);

describe('IdP metadata import (parseIdpMetadata)', () => {
  after(cleanupSamlWorld);

  it("reads pysaml2's IdP metadata: entity ID, both SSO endpoints and the pinned signing certificate", async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const parsed = parseIdpMetadata(world.peer.metadataXml);
    assert.equal(parsed.entityId, world.peer.entityId);
    assert.equal(parsed.ssoRedirectUrl, world.peer.ssoRedirectUrl);
    assert.equal(parsed.ssoPostUrl, world.peer.ssoPostUrl);
    assert.equal(parsed.certificatesPem.length, 1);
    const body = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
    assert.equal(body(parsed.certificatesPem[0] ?? ''), body(world.peer.certificatePem));
  });

  it('refuses metadata with a DOCTYPE before parsing it', () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><md:EntityDescriptor xmlns:md="${NS.metadata}" entityID="&e;"/>`;
    assert.throws(() => parseIdpMetadata(xml), refusal(/DOCTYPE/));
  });

  it('refuses garbage that is not XML', () => {
    assert.throws(() => parseIdpMetadata('this is not <xml'), refusal(/well-formed/));
  });

  it('never repeats what the document says in a refusal (it may be whatever a URL answered)', () => {
    const secret = 'SECRET-sign-token-0123456789';
    for (const xml of [
      JSON.stringify({ messages: [{ text: `https://signet.test/sign/${secret}` }] }),
      `${secret} <x/>`,
      `<a>${secret}<b></a>`,
      `<a x="${secret}>`,
      `<a>&${secret};</a>`,
    ]) {
      assert.throws(
        () => parseIdpMetadata(xml),
        (error: unknown) =>
          error instanceof SignetError &&
          error.code === 'SAML_METADATA_INVALID' &&
          !error.message.includes(secret),
        xml,
      );
    }
    const certificate = createSpKeyPair('some IdP').certificatePem.replace(/-----[^-]+-----|\s/g, '');
    const withLocation = `<md:EntityDescriptor xmlns:md="${NS.metadata}" xmlns:ds="${NS.dsig}" entityID="x"><md:IDPSSODescriptor protocolSupportEnumeration="${NS.protocol}"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="javascript:${secret}"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
    assert.throws(
      () => parseIdpMetadata(withLocation),
      (error: unknown) =>
        error instanceof SignetError &&
        /SingleSignOnService/.test(error.detail) &&
        !error.message.includes(secret),
    );
  });

  it('refuses XML that is not SAML metadata', () => {
    assert.throws(() => parseIdpMetadata('<html><body>login</body></html>'), refusal(/EntityDescriptor/));
  });

  it('refuses metadata larger than 1 MiB', () => {
    const xml = `<md:EntityDescriptor xmlns:md="${NS.metadata}" entityID="x"><!--${'x'.repeat(1024 * 1024)}--></md:EntityDescriptor>`;
    assert.throws(() => parseIdpMetadata(xml), refusal(/1 MiB/));
  });

  it('refuses an IdP without a signing certificate', () => {
    const xml = `<md:EntityDescriptor xmlns:md="${NS.metadata}" entityID="https://idp"><md:IDPSSODescriptor protocolSupportEnumeration="${NS.protocol}"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
    assert.throws(() => parseIdpMetadata(xml), refusal(/no signing certificate/));
  });

  it('refuses an IdP without an SSO endpoint for Redirect or POST', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const xml = world.peer.metadataXml.replace(/<ns0:SingleSignOnService[^>]*\/>/g, '');
    assert.throws(() => parseIdpMetadata(xml), refusal(/SingleSignOnService/));
  });
});

describe('IdP configuration limits', () => {
  const certificatePem = createSpKeyPair('some IdP').certificatePem;
  const config = { entityId: 'https://idp', certificatesPem: [certificatePem] };

  it('accepts a clock skew of 300 seconds', () => {
    assert.deepEqual(checkIdpConfig({ ...config, clockSkewSeconds: 300 }), {
      skewMs: 300_000,
      maxAgeMs: 300_000,
    });
  });

  it('refuses a clock skew above 300 seconds with SAML_CONFIG_INVALID (422)', () => {
    assert.throws(
      () => checkIdpConfig({ ...config, clockSkewSeconds: 301 }),
      (error: unknown) =>
        error instanceof SignetError && error.code === 'SAML_CONFIG_INVALID' && error.status === 422,
    );
  });

  it('refuses an IdP without certificates', () => {
    assert.throws(
      () => checkIdpConfig({ ...config, certificatesPem: [], clockSkewSeconds: 60 }),
      (error: unknown) => error instanceof SignetError && error.code === 'SAML_CONFIG_INVALID',
    );
  });
});

describe('SP metadata (buildSpMetadata)', () => {
  after(cleanupSamlWorld);

  async function xmlsecVerify(world: SamlWorld, xml: string, certificatePem: string) {
    const dir = join(world.peer.certFile, '..');
    const xmlFile = join(dir, 'sp-metadata.xml');
    const certFile = join(dir, 'verify-cert.pem');
    await writeFile(xmlFile, xml);
    await writeFile(certFile, certificatePem);
    return runTool('xmlsec1', [
      '--verify',
      '--pubkey-cert-pem',
      certFile,
      '--id-attr:ID',
      `${NS.metadata}:EntityDescriptor`,
      xmlFile,
    ]);
  }

  it('is signed so that xmlsec1 verifies it with the SP certificate (RSA-SHA256)', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const result = await xmlsecVerify(world, world.spMetadataXml, world.sp.certificatePem);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(
      world.spMetadataXml,
      /SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"/,
    );
  });

  it('does not verify with another certificate, nor after a change (the check can fail)', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const other = createSpKeyPair('someone else').certificatePem;
    assert.notEqual((await xmlsecVerify(world, world.spMetadataXml, other)).exitCode, 0);
    const changed = world.spMetadataXml.replace(world.sp.acsUrl, 'https://evil.example/acs');
    assert.notEqual((await xmlsecVerify(world, changed, world.sp.certificatePem)).exitCode, 0);
  });

  it('declares signed requests, wanted signed assertions, signing and encryption keys and the POST ACS', async (t) => {
    const world = await useSamlWorld(t);
    if (!world) return;
    const root = parseXml(world.spMetadataXml).documentElement;
    assert.ok(root);
    assert.equal(root.getAttribute('entityID'), world.sp.entityId);
    const descriptor = root.getElementsByTagNameNS(NS.metadata, 'SPSSODescriptor').item(0);
    assert.ok(descriptor);
    assert.equal(descriptor.getAttribute('AuthnRequestsSigned'), 'true');
    assert.equal(descriptor.getAttribute('WantAssertionsSigned'), 'true');
    const uses = Array.from(
      { length: descriptor.getElementsByTagNameNS(NS.metadata, 'KeyDescriptor').length },
      (_, i) => descriptor.getElementsByTagNameNS(NS.metadata, 'KeyDescriptor').item(i)?.getAttribute('use'),
    );
    assert.deepEqual(uses.sort(), ['encryption', 'signing']);
    const acs = descriptor.getElementsByTagNameNS(NS.metadata, 'AssertionConsumerService').item(0);
    assert.equal(acs?.getAttribute('Binding'), 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    assert.equal(acs?.getAttribute('Location'), world.sp.acsUrl);
  });
});
