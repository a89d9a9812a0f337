import type { Element } from '@xmldom/xmldom';
import { descendants, is, NS } from './xml.ts';

/*
 * Algorithm allow-lists (XML-DSig 1.1 §6, XML Encryption 1.1 §5). Anything not listed is
 * refused, so a new or weak algorithm never slips through by default: SHA-1 signatures and
 * digests, Triple-DES content encryption and RSA PKCS#1 v1.5 key transport (vulnerable to
 * Bleichenbacher-style oracles, XML Encryption 1.1 §5.5.1) are all outside the lists.
 */

const SIGNATURE_METHODS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512',
]);

const DIGEST_METHODS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);

const CANONICALIZATIONS = new Set([
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
]);

const TRANSFORMS = new Set(['http://www.w3.org/2000/09/xmldsig#enveloped-signature', ...CANONICALIZATIONS]);

const BLOCK_ENCRYPTIONS = new Set([
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'http://www.w3.org/2009/xmlenc11#aes256-gcm',
]);

const KEY_TRANSPORTS = new Set([
  'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  'http://www.w3.org/2009/xmlenc11#rsa-oaep',
]);

/** Digests inside RSA-OAEP's EncryptionMethod: OAEP's own hash, where SHA-1 is still sound (RFC 8017 §7.1). */
const OAEP_DIGESTS = new Set(['http://www.w3.org/2000/09/xmldsig#sha1', ...DIGEST_METHODS]);

/** A refused algorithm, or undefined when every algorithm in the tree is on the allow-list. */
export function forbiddenAlgorithm(root: Element): string | undefined {
  const check = (elements: Element[], allowed: (element: Element) => Set<string>, what: string) => {
    for (const element of elements) {
      const algorithm = element.getAttribute('Algorithm') ?? '';
      if (!allowed(element).has(algorithm)) return `${what} ${algorithm || '(none)'} is not allowed`;
    }
    return undefined;
  };
  const encryptionMethods = [
    ...descendants(root, NS.xenc, 'EncryptionMethod'),
    ...descendants(root, NS.xenc11, 'EncryptionMethod'),
  ];
  return (
    check(descendants(root, NS.dsig, 'SignatureMethod'), () => SIGNATURE_METHODS, 'signature algorithm') ??
    check(
      descendants(root, NS.dsig, 'DigestMethod'),
      (element) => (isInEncryptionMethod(element) ? OAEP_DIGESTS : DIGEST_METHODS),
      'digest algorithm',
    ) ??
    check(
      descendants(root, NS.dsig, 'CanonicalizationMethod'),
      () => CANONICALIZATIONS,
      'canonicalization',
    ) ??
    check(descendants(root, NS.dsig, 'Transform'), () => TRANSFORMS, 'transform') ??
    check(
      encryptionMethods,
      (element) => (isKeyTransport(element) ? KEY_TRANSPORTS : BLOCK_ENCRYPTIONS),
      'encryption algorithm',
    )
  );
}

function isInEncryptionMethod(element: Element): boolean {
  const parent = element.parentNode as Element | null;
  return parent?.localName === 'EncryptionMethod';
}

/** The EncryptionMethod of an EncryptedKey is key transport; of an EncryptedData, block encryption. */
function isKeyTransport(method: Element): boolean {
  const parent = method.parentNode as Element | null;
  return parent !== null && is(parent, NS.xenc, 'EncryptedKey');
}
