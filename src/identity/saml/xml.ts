import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';

/*
 * The few XML facts the SAML core needs, in one place: namespaces, a parser that refuses what a
 * SAML message never contains, and navigation by direct child (never by a document-wide search,
 * which is what signature-wrapping attacks exploit).
 */

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xenc11: 'http://www.w3.org/2009/xmlenc11#',
} as const;

export const BINDING = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

/**
 * A document type declaration is never part of a SAML message (SAML core §1.3 / bindings §3.5.5
 * practice) and is the door to entity expansion and external entities (XXE), so it is refused
 * textually, before any parser sees the bytes.
 */
export function hasDoctype(xml: string): boolean {
  return /<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml);
}

export class XmlSyntaxError extends Error {}

/** Parses well-formed XML strictly; any warning or error from the parser is a refusal. */
export function parseXml(xml: string): Document {
  if (hasDoctype(xml)) throw new XmlSyntaxError('a DOCTYPE is not allowed');
  let document: Document;
  try {
    document = new DOMParser({
      onError: (level, message) => {
        throw new XmlSyntaxError(`${level}: ${message}`);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (error) {
    throw new XmlSyntaxError(error instanceof Error ? error.message : String(error));
  }
  if (!document.documentElement) throw new XmlSyntaxError('no document element');
  return document;
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

export function isElement(node: Node | null | undefined): node is Element {
  return node?.nodeType === ELEMENT_NODE;
}

export function is(element: Element, namespace: string, localName: string): boolean {
  return element.namespaceURI === namespace && element.localName === localName;
}

/** The element children of `parent` with this name, in document order. */
export function children(parent: Element, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (isElement(node) && is(node, namespace, localName)) found.push(node);
  }
  return found;
}

export function child(parent: Element, namespace: string, localName: string): Element | undefined {
  return children(parent, namespace, localName)[0];
}

/** Every element below `root` (depth first); for refusals only, never to pick what to trust. */
export function descendants(root: Element, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  const list = root.getElementsByTagNameNS(namespace, localName);
  for (let index = 0; index < list.length; index++) {
    const item = list.item(index);
    if (item) found.push(item);
  }
  return found;
}

/**
 * The text of an element: every text and CDATA child joined, comments skipped. A comment inside
 * a NameID therefore neither truncates nor changes the value (the classic "comment truncation"
 * attack relies on reading only the first text node).
 */
export function textOf(element: Element): string {
  let text = '';
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) text += node.nodeValue ?? '';
    else if (isElement(node)) text += textOf(node);
  }
  return text;
}

/** An attribute value, or undefined when absent (xmldom answers '' or null for absent). */
export function attribute(element: Element, name: string): string | undefined {
  return element.hasAttribute(name) ? (element.getAttribute(name) ?? undefined) : undefined;
}

export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** The base64 body of a PEM certificate, on one line. */
export function pemBody(pem: string): string {
  return pem
    .replace(/-----BEGIN [A-Z ]+-----/g, '')
    .replace(/-----END [A-Z ]+-----/g, '')
    .replace(/\s+/g, '');
}

export function pemFromBase64(body: string): string {
  const clean = body.replace(/\s+/g, '');
  const lines = clean.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
