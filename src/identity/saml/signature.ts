import type { Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { children, descendants, NS } from './xml.ts';

/*
 * Verification of one enveloped signature on one element, against pinned certificates only.
 * Modelled on node-saml's getVerifiedXml, with the same wrapping defences: exactly one signature
 * as a direct child, exactly one Reference, whose URI names that very element, an ID that occurs
 * once in the whole document (under any of the attribute names xml-crypto resolves: ID, Id, id),
 * and the KeyInfo ignored (xml-crypto's getCertFromKeyInfo stays a no-op). The caller then reads
 * only the XML that was verified — the canonical bytes xml-crypto digested — never the original
 * document.
 */

export type SignatureCheck =
  | { ok: true; verifiedXml: string }
  | { ok: false; problem: 'missing' | 'invalid'; detail: string };

export function verifyEnvelopedSignature(
  fullXml: string,
  element: Element,
  certificatesPem: string[],
): SignatureCheck {
  const signatures = children(element, NS.dsig, 'Signature');
  if (signatures.length === 0)
    return { ok: false, problem: 'missing', detail: `the ${element.localName} is not signed` };
  if (signatures.length > 1) {
    return {
      ok: false,
      problem: 'invalid',
      detail: `the ${element.localName} carries more than one signature`,
    };
  }
  const signature = signatures[0] as Element;
  const id = element.getAttribute('ID');
  if (!id) return { ok: false, problem: 'invalid', detail: `the signed ${element.localName} has no ID` };
  const root = element.ownerDocument?.documentElement;
  if (!root) return { ok: false, problem: 'invalid', detail: 'the element is detached' };
  if (countId(root, id) !== 1) {
    return { ok: false, problem: 'invalid', detail: `the ID ${id} occurs more than once in the document` };
  }
  const normalized = fullXml.replace(/\r\n?/g, '\n');
  let lastError = 'the signature does not verify with any pinned certificate';
  for (const certificatePem of certificatesPem) {
    const verifier = new SignedXml({ publicCert: certificatePem });
    try {
      verifier.loadSignature(signature);
    } catch (error) {
      return { ok: false, problem: 'invalid', detail: `unreadable signature (${(error as Error).message})` };
    }
    const references = verifier.getReferences();
    if (references.length !== 1) {
      return { ok: false, problem: 'invalid', detail: 'the signature must have exactly one Reference' };
    }
    if (references[0]?.uri !== `#${id}`) {
      return {
        ok: false,
        problem: 'invalid',
        detail: 'the signature does not reference the element it is in',
      };
    }
    try {
      if (!verifier.checkSignature(normalized)) continue;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      continue;
    }
    const signed = verifier.getSignedReferences();
    if (signed.length !== 1 || !signed[0]) {
      return {
        ok: false,
        problem: 'invalid',
        detail: 'the signature verified an unexpected number of references',
      };
    }
    return { ok: true, verifiedXml: signed[0] };
  }
  return { ok: false, problem: 'invalid', detail: lastError };
}

/** How many elements carry this value in an attribute xml-crypto treats as an ID. */
function countId(root: Element, id: string): number {
  let count = 0;
  for (const element of [root, ...descendants(root, '*', '*')]) {
    for (const name of ['ID', 'Id', 'id']) {
      if (element.getAttribute(name) === id) count++;
    }
  }
  return count;
}
