import { SignedXml } from 'xml-crypto';

/*
 * Enveloped XML signatures made by Signet (AuthnRequests for the POST binding, SP metadata):
 * RSA-SHA256 over exclusive canonicalization, placed where the schema wants ds:Signature.
 */

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export interface SigningKey {
  privateKeyPem: string;
  certificatePem: string;
}

/**
 * Signs the document element of `xml` (which must carry an `ID`), inserting the signature after
 * the element `afterXPath` points at, or as the first child when it is undefined.
 */
export function signEnveloped(xml: string, key: SigningKey, afterXPath?: string): string {
  const signature = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  signature.addReference({
    xpath: '/*',
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: SHA256,
  });
  signature.computeSignature(xml, {
    prefix: 'ds',
    location: afterXPath
      ? { reference: afterXPath, action: 'after' }
      : { reference: '/*', action: 'prepend' },
  });
  return signature.getSignedXml();
}
