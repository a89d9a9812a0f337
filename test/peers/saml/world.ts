import type { TestContext } from 'node:test';
import {
  type AuthnRequest,
  buildSpMetadata,
  createAuthnRequest,
  createSpKeyPair,
  parseIdpMetadata,
  type SamlIdpConfig,
  type SamlSp,
} from '../../../src/identity/saml/index.ts';
import {
  answerWithPysaml2,
  createPysaml2Idp,
  type Pysaml2Idp,
  type ResponseOptions,
  requirePysaml2,
} from '../pysaml2Idp.ts';

/*
 * One Signet SP and one pysaml2 IdP that know each other through their real metadata: the SP
 * imports pysaml2's IdP metadata with parseIdpMetadata, the IdP loads buildSpMetadata's output.
 */
export interface SamlWorld {
  sp: SamlSp;
  spMetadataXml: string;
  peer: Pysaml2Idp;
  idp: SamlIdpConfig;
  /** A real AuthnRequest from Signet, answered by pysaml2 with these options. */
  respond(
    options?: ResponseOptions,
    binding?: 'redirect' | 'post',
  ): Promise<{ request: AuthnRequest; samlResponse: string; xml: string }>;
  cleanup(): Promise<void>;
}

export async function createSamlWorld(): Promise<SamlWorld> {
  const organizationId = '5b0c7f2e-8d1a-4b7e-9a51-3c2f6d9e8a10';
  const base = `https://signet.example.test/saml/${organizationId}`;
  const sp: SamlSp = {
    entityId: `${base}/metadata`,
    acsUrl: `${base}/acs`,
    ...createSpKeyPair('Signet SAML SP'),
  };
  const spMetadataXml = buildSpMetadata(sp);
  const peer = await createPysaml2Idp();
  const idp: SamlIdpConfig = { ...parseIdpMetadata(peer.metadataXml), clockSkewSeconds: 60 };
  return {
    sp,
    spMetadataXml,
    peer,
    idp,
    async respond(options = {}, binding = 'post') {
      const request = createAuthnRequest(sp, idp, { binding, relayState: 'check-1' });
      const answer = await answerWithPysaml2(peer, spMetadataXml, request, options);
      return { request, samlResponse: answer.samlResponse, xml: answer.xml };
    },
    cleanup: () => peer.cleanup(),
  };
}

let shared: Promise<SamlWorld> | undefined;

/**
 * The world shared by a test file, or undefined after marking the test skipped (with the install
 * command) when pysaml2/xmlsec1 are missing. When they are installed, a failure to build it
 * fails the test: never a silent pass.
 */
export async function useSamlWorld(t: TestContext): Promise<SamlWorld | undefined> {
  if (!(await requirePysaml2(t))) return undefined;
  shared ??= createSamlWorld();
  return shared;
}

export async function cleanupSamlWorld(): Promise<void> {
  if (shared) await (await shared.catch(() => undefined))?.cleanup();
  shared = undefined;
}
