import { createSign, randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { SignetError } from '../../errors.ts';
import type { SamlIdpConfig, SamlSp } from './config.ts';
import { RSA_SHA256, signEnveloped } from './signing.ts';
import { BINDING, escapeXml, NS } from './xml.ts';

export interface AuthnRequestOptions {
  binding: 'redirect' | 'post';
  /** Opaque to the IdP and echoed back; at most 80 bytes (SAML bindings §3.4.3, §3.5.3). */
  relayState: string;
  now?: Date;
  /** RequestedAuthnContext class references (Comparison="minimum"), e.g. a GOV.UK Verify level. */
  authnContextClassRefs?: string[];
  /** NameIDPolicy Format; default persistent (a pairwise, opaque identifier for signers). */
  nameIdFormat?: string;
}

export type AuthnRequest = { id: string; issueInstant: Date; xml: string } & (
  | { binding: 'redirect'; url: string }
  | { binding: 'post'; action: string; fields: Record<string, string> }
);

export const NAME_ID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
export const NAME_ID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/**
 * A signed AuthnRequest (SAML core §3.4.1) for the Web Browser SSO profile (profiles §4.1.4.1),
 * asking for the answer by HTTP-POST at the SP's ACS. Redirect binding: DEFLATE, base64 and a
 * query-string signature (bindings §3.4.4.1); POST binding: an enveloped XML signature.
 */
export function createAuthnRequest(
  sp: SamlSp,
  idp: SamlIdpConfig,
  options: AuthnRequestOptions,
): AuthnRequest {
  if (Buffer.byteLength(options.relayState, 'utf8') > 80) {
    throw new SignetError('SAML_RELAY_STATE_INVALID', 'RelayState may be at most 80 bytes.');
  }
  const destination = options.binding === 'redirect' ? idp.ssoRedirectUrl : idp.ssoPostUrl;
  if (!destination) {
    throw new SignetError(
      'SAML_BINDING_UNSUPPORTED',
      `The identity provider offers no single sign-on endpoint for the ${options.binding} binding.`,
    );
  }
  // An xs:ID must be an NCName: never start with a digit (SAML core §1.3.4).
  const id = `_${randomBytes(20).toString('hex')}`;
  const issueInstant = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  const xml = authnRequestXml(sp, destination, id, issueInstant, {
    classRefs: options.authnContextClassRefs ?? [],
    nameIdFormat: options.nameIdFormat ?? NAME_ID_PERSISTENT,
  });

  if (options.binding === 'redirect') {
    const url = signedRedirectUrl(destination, xml, options.relayState, sp.privateKeyPem);
    return { binding: 'redirect', id, issueInstant, xml, url };
  }
  const signed = signEnveloped(xml, sp, "/*/*[local-name(.)='Issuer']");
  return {
    binding: 'post',
    id,
    issueInstant,
    xml: signed,
    action: destination,
    fields: { SAMLRequest: Buffer.from(signed, 'utf8').toString('base64'), RelayState: options.relayState },
  };
}

function authnRequestXml(
  sp: SamlSp,
  destination: string,
  id: string,
  issueInstant: Date,
  { classRefs, nameIdFormat }: { classRefs: string[]; nameIdFormat: string },
) {
  const requested =
    classRefs.length === 0
      ? ''
      : `<samlp:RequestedAuthnContext Comparison="minimum">${classRefs
          .map((ref) => `<saml:AuthnContextClassRef>${escapeXml(ref)}</saml:AuthnContextClassRef>`)
          .join('')}</samlp:RequestedAuthnContext>`;
  return (
    `<samlp:AuthnRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}"` +
    ` ID="${id}" Version="2.0" IssueInstant="${issueInstant.toISOString().replace('.000Z', 'Z')}"` +
    ` Destination="${escapeXml(destination)}" AssertionConsumerServiceURL="${escapeXml(sp.acsUrl)}"` +
    ` ProtocolBinding="${BINDING.post}">` +
    `<saml:Issuer>${escapeXml(sp.entityId)}</saml:Issuer>` +
    `<samlp:NameIDPolicy Format="${escapeXml(nameIdFormat)}" AllowCreate="true"/>` +
    requested +
    '</samlp:AuthnRequest>'
  );
}

/**
 * Form-encodes like the receiving side re-encodes (application/x-www-form-urlencoded, as Python's
 * quote_plus and Java's URLEncoder do), so the signed bytes are the bytes in the URL.
 */
export function formEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function signedRedirectUrl(
  destination: string,
  xml: string,
  relayState: string,
  privateKeyPem: string,
): string {
  const samlRequest = deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64');
  // SAML bindings §3.4.4.1: sign SAMLRequest=…&RelayState=…&SigAlg=… exactly as sent.
  let signed = `SAMLRequest=${formEncode(samlRequest)}`;
  if (relayState) signed += `&RelayState=${formEncode(relayState)}`;
  signed += `&SigAlg=${formEncode(RSA_SHA256)}`;
  const signature = createSign('RSA-SHA256').update(signed, 'utf8').sign(privateKeyPem, 'base64');
  const separator = destination.includes('?') ? '&' : '?';
  return `${destination}${separator}${signed}&Signature=${formEncode(signature)}`;
}
