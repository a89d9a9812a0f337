import { X509Certificate } from 'node:crypto';
import { generateServiceProviderMetadata } from '@node-saml/node-saml';
import type { Element } from '@xmldom/xmldom';
import { SignetError } from '../../errors.ts';
import type { SamlIdpConfig, SamlSp } from './config.ts';
import { attribute, BINDING, children, hasDoctype, is, NS, parseXml, pemFromBase64, textOf } from './xml.ts';

/** The largest IdP metadata document Signet reads. */
export const METADATA_MAX_BYTES = 1024 * 1024;

function invalid(detail: string): SignetError {
  return new SignetError('SAML_METADATA_INVALID', detail);
}

/**
 * Reads what Signet needs from an IdP's metadata (SAML metadata §2.3.2, §2.4.3): its entity ID,
 * its SingleSignOnService endpoints for the Redirect and POST bindings, and its signing
 * certificates (KeyDescriptor use="signing" or without use), which are then pinned.
 */
export function parseIdpMetadata(xml: string): Omit<SamlIdpConfig, 'clockSkewSeconds'> {
  if (Buffer.byteLength(xml, 'utf8') > METADATA_MAX_BYTES)
    throw invalid('The metadata is larger than 1 MiB.');
  if (hasDoctype(xml)) throw invalid('The metadata contains a DOCTYPE, which is not allowed.');
  let root: Element;
  try {
    root = parseXml(xml).documentElement as Element;
  } catch {
    // The parser's message quotes the document, which may be whatever a URL answered: never echoed.
    throw invalid('The metadata is not well-formed XML.');
  }
  const entity = identityProviderEntity(root);
  const entityId = attribute(entity, 'entityID');
  if (!entityId) throw invalid('The EntityDescriptor has no entityID.');
  const descriptor = children(entity, NS.metadata, 'IDPSSODescriptor').find((d) =>
    (attribute(d, 'protocolSupportEnumeration') ?? '').split(/\s+/).includes(NS.protocol),
  );
  if (!descriptor) throw invalid('The metadata has no IDPSSODescriptor for SAML 2.0.');

  const certificatesPem: string[] = [];
  for (const keyDescriptor of children(descriptor, NS.metadata, 'KeyDescriptor')) {
    const use = attribute(keyDescriptor, 'use');
    if (use !== undefined && use !== 'signing') continue;
    for (const keyInfo of children(keyDescriptor, NS.dsig, 'KeyInfo')) {
      for (const data of children(keyInfo, NS.dsig, 'X509Data')) {
        for (const certificate of children(data, NS.dsig, 'X509Certificate')) {
          const pem = pemFromBase64(textOf(certificate));
          try {
            new X509Certificate(pem);
          } catch {
            throw invalid('A signing certificate in the metadata is not a valid X.509 certificate.');
          }
          if (!certificatesPem.includes(pem)) certificatesPem.push(pem);
        }
      }
    }
  }
  if (certificatesPem.length === 0) throw invalid('The IDPSSODescriptor has no signing certificate.');

  const endpoint = (binding: string) => {
    const service = children(descriptor, NS.metadata, 'SingleSignOnService').find(
      (s) => attribute(s, 'Binding') === binding,
    );
    const location = service && attribute(service, 'Location');
    if (location === undefined) return undefined;
    if (!/^https?:\/\//i.test(location))
      throw invalid('A SingleSignOnService location is not an http(s) URL.');
    return location;
  };
  const ssoRedirectUrl = endpoint(BINDING.redirect);
  const ssoPostUrl = endpoint(BINDING.post);
  if (!ssoRedirectUrl && !ssoPostUrl) {
    throw invalid(
      'The IDPSSODescriptor has no SingleSignOnService for the HTTP-Redirect or HTTP-POST binding.',
    );
  }
  return {
    entityId,
    ...(ssoRedirectUrl ? { ssoRedirectUrl } : {}),
    ...(ssoPostUrl ? { ssoPostUrl } : {}),
    certificatesPem,
  };
}

/** The EntityDescriptor itself, or the single one with an IDPSSODescriptor inside an EntitiesDescriptor. */
function identityProviderEntity(root: Element): Element {
  if (is(root, NS.metadata, 'EntityDescriptor')) return root;
  if (is(root, NS.metadata, 'EntitiesDescriptor')) {
    const idps = children(root, NS.metadata, 'EntityDescriptor').filter(
      (entity) => children(entity, NS.metadata, 'IDPSSODescriptor').length > 0,
    );
    if (idps.length === 1 && idps[0]) return idps[0];
    throw invalid(
      `The EntitiesDescriptor holds ${idps.length} identity providers; give the metadata of one.`,
    );
  }
  throw invalid('The document is not SAML 2.0 metadata (no EntityDescriptor).');
}

/**
 * Signet's SP metadata (SAML metadata §2.4.4): signed (enveloped, RSA-SHA256), requests signed,
 * assertions wanted signed, one key for signing and encryption, the ACS for HTTP-POST.
 */
export function buildSpMetadata(sp: SamlSp): string {
  return generateServiceProviderMetadata({
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    privateKey: sp.privateKeyPem,
    publicCerts: [sp.certificatePem],
    decryptionPvk: sp.privateKeyPem,
    decryptionCert: sp.certificatePem,
    identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    wantAssertionsSigned: true,
    signMetadata: true,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
  });
}
