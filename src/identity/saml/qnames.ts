import type { Element } from '@xmldom/xmldom';
import { isElement } from './xml.ts';

/*
 * QNames in content: an xsi:type value such as "ida:PersonNameType" names a namespace through a
 * prefix, and only the namespace declarations in scope where the value sits say which one
 * (XML Schema part 1 §2.6.1; Namespaces in XML §6.1, scoping).
 *
 * The verified bytes of an assertion do not always carry those declarations:
 * - Exclusive C14N, the transform SAML signatures use, writes a declaration only where an
 *   element or attribute *name* uses it (Exc-C14N §3, "visibly utilized"); a prefix used only in
 *   a value is dropped, unless the IdP listed it in an InclusiveNamespaces PrefixList.
 * - An encrypted assertion belongs in the context of its EncryptedAssertion: XML Encryption
 *   §4.2 step 4 puts the cleartext in place of the EncryptedData, and the Decryption Transform
 *   (its Text Wrapping appendix) parses it under every declaration in scope there, as xmlsec1
 *   and Santuario do. The IdP's encryptor serialises only what is inside the Assertion, and
 *   rewrites the prefixes of names (pysaml2 makes them `encasN`) but never the text of a value,
 *   so a prefix the IdP declared on its Response reaches Signet only outside the cleartext.
 *
 * So a QName resolves, in this order, to:
 * 1. the binding in the verified bytes at that element — signed, so it always wins;
 * 2. otherwise, the binding in scope at the same element where it sat in the message: its own
 *    declarations and its ancestors', up through the Response (through the EncryptedAssertion,
 *    for an encrypted assertion), the nearest first — the namespace an XML processor gives it.
 * Nothing else: a declaration anywhere else in the message (a sibling's, one inside the Status)
 * is not in scope and is never consulted, and a prefix bound in none of those places stays
 * unresolved.
 *
 * Why step 2 is safe although such a binding is not signed: whoever relays the message (the
 * signer's own browser included) can add, change or remove a declaration the signature does not
 * cover, so a binding from step 2 may be the attacker's. It is used only to decide whether a
 * value has the type its attribute requires: the values themselves, their Verified, From and To
 * flags and the attributes they belong to are read from the verified bytes alone, by name, and
 * the names' bindings are signed. Changing such a binding can therefore only make the MDS
 * refused (MDS_INVALID — no more than dropping the message would), or let the IdP's own signed
 * values pass a type check the IdP wrote with a prefix it left undeclared; it can never change
 * whose identity is matched, or to what. What it must not do is let a declaration that is not in
 * scope decide — as a message-wide search for "the" binding of a prefix would: a declaration
 * planted anywhere would then resolve an undeclared prefix, and a conflicting one planted
 * anywhere would make a legitimate one ambiguous.
 */

/** The expanded name (`{namespace}local`) of each element and the prefixes in scope where it sat. */
export interface ContentNamespaces {
  /** In document order, for every element of the verified assertion. '' keys the default namespace. */
  elements: readonly { name: string; inScope: Readonly<Record<string, string>> }[];
}

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

function expandedName(element: Element): string {
  return `{${element.namespaceURI ?? ''}}${element.localName}`;
}

/** The element's own namespace declarations laid over `inherited` ('' for the default namespace). */
function declaredOver(element: Element, inherited: Readonly<Record<string, string>>): Record<string, string> {
  const inScope = { ...inherited };
  for (let index = 0; index < element.attributes.length; index++) {
    const attribute = element.attributes.item(index);
    if (!attribute || attribute.namespaceURI !== XMLNS_NS) continue;
    inScope[attribute.prefix === 'xmlns' ? (attribute.localName ?? '') : ''] = attribute.value;
  }
  return inScope;
}

/** Every prefix in scope at `element`: its own declarations and its ancestors', the nearest first. */
export function namespacesInScope(element: Element): Record<string, string> {
  const chain: Element[] = [];
  for (let node: Element | null = element; node; node = isElement(node.parentNode) ? node.parentNode : null) {
    chain.unshift(node);
  }
  return chain.reduce<Record<string, string>>((inScope, node) => declaredOver(node, inScope), {});
}

/**
 * The namespaces in scope at each element of a signed assertion as it sat in the message:
 * `assertion` is the element as received (for an encrypted one, the decrypted cleartext), with
 * `context` the prefixes in scope where it stood (around a decrypted assertion: those of its
 * EncryptedAssertion). `omit` is the enveloped signature, which the signed bytes leave out.
 */
export function contentNamespacesOf(
  assertion: Element,
  context: Readonly<Record<string, string>>,
  omit: Element | undefined,
): ContentNamespaces {
  const elements: ContentNamespaces['elements'][number][] = [];
  const visit = (element: Element, inherited: Readonly<Record<string, string>>) => {
    const inScope = declaredOver(element, inherited);
    elements.push({ name: expandedName(element), inScope });
    for (let node = element.firstChild; node; node = node.nextSibling) {
      if (isElement(node) && node !== omit) visit(node, inScope);
    }
  };
  visit(assertion, context);
  return { elements };
}

/** Resolves the prefix of a QName (null for none) at an element of the verified assertion. */
export type QNameResolver = (element: Element, prefix: string | null) => string | null;

/**
 * The resolver for the verified assertion whose document element is `verified`: the verified
 * bytes' own binding first, then the one in scope where the element sat (`content`, matched to
 * the verified elements by document order). When `content` does not describe exactly these
 * elements, in this order, it is not used at all, and only the verified bytes count.
 */
export function qnameResolver(verified: Element, content: ContentNamespaces | undefined): QNameResolver {
  const order = new Map<Element, number>();
  const visit = (element: Element) => {
    order.set(element, order.size);
    for (let node = element.firstChild; node; node = node.nextSibling) if (isElement(node)) visit(node);
  };
  visit(verified);
  const described =
    content?.elements.length === order.size &&
    [...order].every(([element, index]) => content.elements[index]?.name === expandedName(element));
  return (element, prefix) => {
    // xmldom keys the default namespace as '' and answers '' or null when none is declared.
    const signed = element.lookupNamespaceURI(prefix ?? '');
    if (signed) return signed;
    const index = order.get(element);
    if (!described || index === undefined) return null;
    return content?.elements[index]?.inScope[prefix ?? ''] || null;
  };
}
