import { type Profile, SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { type Element, XMLSerializer } from '@xmldom/xmldom';
import xmlenc from 'xml-encryption';
import { forbiddenAlgorithm } from './algorithms.ts';
import { checkIdpConfig, type SamlIdpConfig, type SamlSp } from './config.ts';
import { type ContentNamespaces, contentNamespacesOf, namespacesInScope } from './qnames.ts';
import { verifyEnvelopedSignature } from './signature.ts';
import { attribute, child, children, descendants, hasDoctype, is, NS, parseXml, textOf } from './xml.ts';

/**
 * Why a SAMLResponse was refused. Each is stable (it is audited and shown as a code):
 * - SAML_MALFORMED: not base64, not well-formed XML, not a samlp:Response, or a required
 *   element/attribute (ID, IssueInstant, Status, NameID, a time value) is missing or unreadable;
 *   also an EncryptedID instead of a NameID (not supported).
 * - SAML_DOCTYPE: a DOCTYPE/ENTITY declaration (refused textually before any parser runs: XXE,
 *   entity expansion).
 * - SAML_TOO_LARGE: more than MAX_RESPONSE_BASE64_LENGTH characters of base64.
 * - SAML_SIGNATURE_MISSING: a success Response whose Assertion is not signed (Signet's metadata
 *   says WantAssertionsSigned="true", so a signed Response around an unsigned Assertion is
 *   refused too).
 * - SAML_SIGNATURE_INVALID: a signature that does not verify with the pinned IdP certificates,
 *   has more or other references than its own element, or sits beside a duplicated ID.
 * - SAML_ALGORITHM_FORBIDDEN: a signature, digest, canonicalization, transform or encryption
 *   algorithm outside the allow-list (./algorithms.ts), e.g. SHA-1, Triple-DES, RSA PKCS#1 v1.5.
 * - SAML_DESTINATION: Response Destination is not Signet's ACS (or absent on a signed Response).
 * - SAML_RECIPIENT: no bearer SubjectConfirmationData names Signet's ACS as Recipient.
 * - SAML_ISSUER: the Response or Assertion Issuer is not the configured IdP.
 * - SAML_AUDIENCE: no AudienceRestriction, or one that does not name Signet's entity ID.
 * - SAML_NOT_YET_VALID / SAML_EXPIRED: Conditions NotBefore / NotOnOrAfter beyond the skew.
 * - SAML_SUBJECT_CONFIRMATION: no bearer SubjectConfirmation, or its data expired or not yet
 *   valid (beyond the skew), or it has no NotOnOrAfter.
 * - SAML_ISSUE_INSTANT: the Response or Assertion IssueInstant is in the future (beyond the skew)
 *   or older than maxAuthnAgeSeconds plus the skew.
 * - SAML_UNSOLICITED: no InResponseTo on the Response or the bearer SubjectConfirmationData
 *   (IdP-initiated SSO is not accepted).
 * - SAML_IN_RESPONSE_TO_MISMATCH: the Response and the signed SubjectConfirmationData name
 *   different requests.
 * - SAML_MULTIPLE_ASSERTIONS: more than one Assertion/EncryptedAssertion anywhere in the message
 *   (Web SSO allows one; a second copy is what signature wrapping needs). Assertions inside an
 *   Advice count too, so an IdP that adds Advice assertions is refused.
 * - SAML_ASSERTION_MISSING: a success status without an assertion.
 * - SAML_AUTHN_STATEMENT_MISSING: the assertion has no AuthnStatement (SAML profiles §4.1.4.2).
 * - SAML_DECRYPTION_FAILED: the EncryptedAssertion cannot be decrypted with Signet's key.
 * - SAML_INVALID: node-saml, run as an independent second verifier, refused for a reason not
 *   listed above (detail says which).
 */
export type SamlRejection =
  | 'SAML_MALFORMED'
  | 'SAML_DOCTYPE'
  | 'SAML_TOO_LARGE'
  | 'SAML_SIGNATURE_MISSING'
  | 'SAML_SIGNATURE_INVALID'
  | 'SAML_ALGORITHM_FORBIDDEN'
  | 'SAML_DESTINATION'
  | 'SAML_RECIPIENT'
  | 'SAML_ISSUER'
  | 'SAML_AUDIENCE'
  | 'SAML_NOT_YET_VALID'
  | 'SAML_EXPIRED'
  | 'SAML_SUBJECT_CONFIRMATION'
  | 'SAML_ISSUE_INSTANT'
  | 'SAML_UNSOLICITED'
  | 'SAML_IN_RESPONSE_TO_MISMATCH'
  | 'SAML_MULTIPLE_ASSERTIONS'
  | 'SAML_ASSERTION_MISSING'
  | 'SAML_AUTHN_STATEMENT_MISSING'
  | 'SAML_DECRYPTION_FAILED'
  | 'SAML_INVALID';

export type SamlOutcome =
  | {
      kind: 'success';
      inResponseTo: string;
      assertionId: string;
      /** Earliest of Conditions NotOnOrAfter and the bearer SubjectConfirmationData NotOnOrAfter. */
      assertionExpiresAt: Date;
      issuer: string;
      nameId: string;
      nameIdFormat?: string;
      authnContextClassRef?: string;
      attributes: Record<string, string[]>;
      /**
       * The Assertion exactly as verified (decrypted if it was encrypted): the canonical bytes the
       * signature covers, so without its own enveloped ds:Signature. Read MDS from this only. Note
       * exclusive C14N keeps only namespace declarations used by element/attribute names, so a
       * prefix used only inside an xsi:type value may be undeclared here: `contentNamespaces`.
       */
      assertionXml: string;
      /**
       * For QNames in content (MDS xsi:type values): the prefixes in scope at each element of
       * `assertionXml` where it sat in the message (for an encrypted assertion, in the context of
       * its EncryptedAssertion). Resolve with ./qnames.ts#qnameResolver, which says why this is safe.
       */
      contentNamespaces: ContentNamespaces;
      /** The whole Response as received (signatures intact, assertion still encrypted if it was), for evidence. */
      responseXml: string;
      statusCodes: string[];
    }
  | {
      kind: 'cancelled' | 'authn-failed' | 'idp-error';
      /** From an error Response, which may be unsigned: good for routing, not for trust. */
      inResponseTo?: string;
      statusCodes: string[];
      statusMessage?: string;
    }
  | {
      kind: 'rejected';
      reason: SamlRejection;
      detail: string;
      /** As claimed by the (unverified) Response, when it could be read. */
      inResponseTo?: string;
    };

/** An encrypted assertion with a Matching Data Set is ~20 KiB; 256 KiB leaves ample room. */
export const MAX_RESPONSE_BASE64_LENGTH = 256 * 1024;

const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

class Rejected extends Error {
  constructor(
    readonly reason: SamlRejection,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

const reject = (reason: SamlRejection, detail: string): never => {
  throw new Rejected(reason, detail);
};

interface Context {
  sp: SamlSp;
  idp: SamlIdpConfig;
  now: number;
  skewMs: number;
  maxAgeMs: number;
}

/**
 * Validates a SAMLResponse posted to the ACS (SAML profiles §4.1.4.3, §4.1.4.5) and says what it
 * means. Never throws for anything in the message; throws SignetError only for an invalid IdP
 * configuration. InResponseTo single use and assertion-ID replay are the caller's (they need
 * shared state): this function only requires InResponseTo and returns it with the assertion ID
 * and its expiry.
 */
export async function validateSamlResponse(
  samlResponseBase64: string,
  context: { sp: SamlSp; idp: SamlIdpConfig; now?: Date },
): Promise<SamlOutcome> {
  const { skewMs, maxAgeMs } = checkIdpConfig(context.idp);
  const ctx: Context = {
    sp: context.sp,
    idp: context.idp,
    now: (context.now ?? new Date()).getTime(),
    skewMs,
    maxAgeMs,
  };
  let claimedInResponseTo: string | undefined;
  try {
    const { xml, response } = readResponse(samlResponseBase64);
    claimedInResponseTo = attribute(response, 'InResponseTo') || undefined;
    return await judgeResponse(xml, response, ctx);
  } catch (error) {
    if (!(error instanceof Rejected)) throw error;
    return {
      kind: 'rejected',
      reason: error.reason,
      detail: error.detail,
      ...(claimedInResponseTo ? { inResponseTo: claimedInResponseTo } : {}),
    };
  }
}

/** The untrusted edge: size, encoding, DOCTYPE, well-formedness, root element. */
function readResponse(samlResponseBase64: string): { xml: string; response: Element } {
  if (samlResponseBase64.length > MAX_RESPONSE_BASE64_LENGTH) {
    reject('SAML_TOO_LARGE', `the SAMLResponse is longer than ${MAX_RESPONSE_BASE64_LENGTH} characters`);
  }
  const compact = samlResponseBase64.replace(/[\r\n\t ]+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    reject('SAML_MALFORMED', 'the SAMLResponse is not base64');
  }
  const xml = Buffer.from(compact, 'base64').toString('utf8');
  if (hasDoctype(xml)) reject('SAML_DOCTYPE', 'the SAMLResponse contains a DOCTYPE or ENTITY declaration');
  let response: Element | null = null;
  try {
    response = parseXml(xml).documentElement;
  } catch (error) {
    reject('SAML_MALFORMED', `the SAMLResponse is not well-formed XML (${(error as Error).message})`);
  }
  if (!response || !is(response, NS.protocol, 'Response')) {
    reject('SAML_MALFORMED', 'the document element is not a samlp:Response');
  }
  return { xml, response: response as Element };
}

async function judgeResponse(xml: string, response: Element, ctx: Context): Promise<SamlOutcome> {
  const assertionCount =
    descendants(response, NS.assertion, 'Assertion').length +
    descendants(response, NS.assertion, 'EncryptedAssertion').length;
  if (assertionCount > 1) {
    reject(
      'SAML_MULTIPLE_ASSERTIONS',
      `the Response holds ${assertionCount} assertions; exactly one is allowed`,
    );
  }
  const forbidden = forbiddenAlgorithm(response);
  if (forbidden) reject('SAML_ALGORITHM_FORBIDDEN', forbidden);

  const status = readStatus(response);
  if (status.codes[0] !== `${STATUS}Success`) return errorOutcome(xml, response, status, ctx);

  if (!attribute(response, 'InResponseTo')) {
    reject('SAML_UNSOLICITED', 'the Response has no InResponseTo; unsolicited responses are not accepted');
  }
  // A signed Response is read from its verified bytes only; an unsigned one is read as is, and
  // everything that matters is then also checked in the signed assertion.
  let trustedResponse = response;
  let responseSigned = false;
  if (children(response, NS.dsig, 'Signature').length > 0) {
    const check = verifyEnvelopedSignature(xml, response, ctx.idp.certificatesPem);
    if (!check.ok) reject('SAML_SIGNATURE_INVALID', `Response signature: ${check.detail}`);
    else {
      trustedResponse = parseTrusted(check.verifiedXml);
      responseSigned = true;
    }
  }
  const plain = children(response, NS.assertion, 'Assertion');
  const encrypted = children(response, NS.assertion, 'EncryptedAssertion');
  if (plain.length + encrypted.length === 0) {
    reject(
      assertionCount > 0 ? 'SAML_MULTIPLE_ASSERTIONS' : 'SAML_ASSERTION_MISSING',
      'the Response has no assertion as a direct child',
    );
  }
  // The assertion must carry its own valid signature (WantAssertionsSigned); what it signed is
  // the only assertion read from here on.
  let assertionXml = '';
  let contentNamespaces: ContentNamespaces = { elements: [] };
  const direct = plain[0];
  if (direct) {
    const check = verifyEnvelopedSignature(xml, direct, ctx.idp.certificatesPem);
    if (!check.ok && check.problem === 'missing') {
      reject(
        'SAML_SIGNATURE_MISSING',
        responseSigned
          ? 'the Assertion inside the signed Response is not signed (WantAssertionsSigned)'
          : 'neither the Response nor the Assertion is signed',
      );
    }
    if (!check.ok) return reject('SAML_SIGNATURE_INVALID', `Assertion signature: ${check.detail}`);
    assertionXml = check.verifiedXml;
    contentNamespaces = contentNamespacesOf(
      direct,
      namespacesInScope(response),
      child(direct, NS.dsig, 'Signature'),
    );
  }
  const encryptedAssertion = encrypted[0];
  if (encryptedAssertion) {
    const inspected = await inspectEncryptedAssertion(encryptedAssertion, responseSigned, ctx);
    assertionXml = inspected.verifiedXml;
    // The cleartext stands where its EncryptedData stood (XML Encryption §4.2 step 4): inside the
    // EncryptedAssertion, under the declarations in scope there (./qnames.ts).
    contentNamespaces = contentNamespacesOf(
      inspected.decrypted,
      namespacesInScope(encryptedAssertion),
      child(inspected.decrypted, NS.dsig, 'Signature'),
    );
  }

  // node-saml, independently, must reach the same verdict on signature and decryption.
  await crossCheckWithNodeSaml(xml, encrypted.length > 0, ctx);
  if (hasDoctype(assertionXml)) reject('SAML_DOCTYPE', 'the verified assertion contains a DOCTYPE');
  return judgeAssertion(
    parseTrusted(assertionXml),
    { assertionXml, contentNamespaces, responseXml: xml },
    trustedResponse,
    responseSigned,
    status,
    ctx,
  );
}

/**
 * What sits inside an EncryptedAssertion gets the same checks as a plain one before anything is
 * trusted: no DOCTYPE, allowed algorithms (the assertion's own SignatureMethod is only visible
 * after decryption), a single Assertion, and its own signature present and valid.
 */
async function inspectEncryptedAssertion(
  element: Element,
  responseSigned: boolean,
  ctx: Context,
): Promise<{ verifiedXml: string; decrypted: Element }> {
  let decrypted: string;
  try {
    decrypted = await new Promise<string>((resolve, fail) => {
      xmlenc.decrypt(
        new XMLSerializer().serializeToString(element),
        {
          key: ctx.sp.privateKeyPem,
          disallowDecryptionWithInsecureAlgorithm: true,
          warnInsecureAlgorithm: false,
        },
        (error, result) => (error ? fail(error) : resolve(result)),
      );
    });
  } catch (error) {
    return reject(
      'SAML_DECRYPTION_FAILED',
      `the EncryptedAssertion cannot be decrypted (${(error as Error).message})`,
    );
  }
  if (hasDoctype(decrypted)) reject('SAML_DOCTYPE', 'the decrypted assertion contains a DOCTYPE');
  const assertion = parseTrusted(decrypted);
  if (!is(assertion, NS.assertion, 'Assertion'))
    reject('SAML_MALFORMED', 'the EncryptedAssertion holds no Assertion');
  const forbidden = forbiddenAlgorithm(assertion);
  if (forbidden) reject('SAML_ALGORITHM_FORBIDDEN', `inside the EncryptedAssertion: ${forbidden}`);
  if (descendants(assertion, NS.assertion, 'Assertion').length > 0) {
    reject('SAML_MULTIPLE_ASSERTIONS', 'the encrypted Assertion contains another Assertion');
  }
  const check = verifyEnvelopedSignature(decrypted, assertion, ctx.idp.certificatesPem);
  if (!check.ok && check.problem === 'missing') {
    reject(
      'SAML_SIGNATURE_MISSING',
      responseSigned
        ? 'the encrypted Assertion inside the signed Response is not signed (WantAssertionsSigned)'
        : 'neither the Response nor the encrypted Assertion is signed',
    );
  }
  if (!check.ok) return reject('SAML_SIGNATURE_INVALID', `encrypted Assertion signature: ${check.detail}`);
  return { verifiedXml: check.verifiedXml, decrypted: assertion };
}

function parseTrusted(xml: string): Element {
  try {
    const element = parseXml(xml).documentElement;
    if (element) return element;
  } catch (error) {
    reject('SAML_MALFORMED', `verified XML does not parse (${(error as Error).message})`);
  }
  return reject('SAML_MALFORMED', 'verified XML is empty');
}

/**
 * node-saml (validatePostResponseAsync) as a second, independent verifier: it verifies the
 * signatures with the pinned certificates, decrypts with Signet's key and extracts the assertion
 * from the verified bytes. If it disagrees, the response is refused. Its own time, audience and
 * InResponseTo checks are off: they are done here, with the caller's clock, skew and reasons.
 */
async function crossCheckWithNodeSaml(xml: string, encrypted: boolean, ctx: Context): Promise<void> {
  const saml = new SAML({
    idpCert: ctx.idp.certificatesPem,
    issuer: ctx.sp.entityId,
    callbackUrl: ctx.sp.acsUrl,
    audience: false,
    decryptionPvk: ctx.sp.privateKeyPem,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: -1,
    validateInResponseTo: ValidateInResponseTo.never,
  });
  let profile: Profile | null;
  try {
    ({ profile } = await saml.validatePostResponseAsync({
      SAMLResponse: Buffer.from(xml, 'utf8').toString('base64'),
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/multiple assertions/i.test(message)) return reject('SAML_MULTIPLE_ASSERTIONS', message);
    if (/signature|referenced node|ID cannot refer|transforms/i.test(message)) {
      return reject('SAML_SIGNATURE_INVALID', message);
    }
    // Decryption already succeeded above, so anything else is node-saml's own refusal (e.g. it
    // cannot read a Conditions element without NotOnOrAfter).
    return reject(encrypted && /decrypt/i.test(message) ? 'SAML_DECRYPTION_FAILED' : 'SAML_INVALID', message);
  }
  if (!profile?.getAssertionXml?.()) reject('SAML_INVALID', 'node-saml found no verified assertion');
}

interface Status {
  codes: string[];
  message?: string;
  detailText: string;
}

function readStatus(response: Element): Status {
  const status = child(response, NS.protocol, 'Status');
  if (!status) return reject('SAML_MALFORMED', 'the Response has no Status');
  const codes: string[] = [];
  for (
    let code = child(status, NS.protocol, 'StatusCode');
    code;
    code = child(code, NS.protocol, 'StatusCode')
  ) {
    codes.push(attribute(code, 'Value') ?? '');
  }
  if (codes.length === 0 || !codes[0]) reject('SAML_MALFORMED', 'the Status has no StatusCode');
  const messageElement = child(status, NS.protocol, 'StatusMessage');
  const detail = child(status, NS.protocol, 'StatusDetail');
  return {
    codes,
    ...(messageElement ? { message: textOf(messageElement) } : {}),
    detailText: detail ? textOf(detail) : '',
  };
}

/**
 * A non-Success Response (SAML core §3.2.2.2). It may be unsigned, so it is trusted only for
 * which kind of failure it reports, never for success; InResponseTo must still be there, the
 * Destination (if any, and always when signed) must be Signet's ACS, and a signature that is
 * present must verify. Classification:
 * - 'cancelled': the StatusMessage or StatusDetail says `authn-cancel` (GOV.UK Verify's
 *   convention), or the second-level code is NoAuthnContext (what Verify sends on cancel) or
 *   NoPassive — the person was not authenticated, but nothing is broken;
 * - 'authn-failed': second-level AuthnFailed;
 * - 'idp-error': anything else (Requester/Responder/VersionMismatch with other or no detail).
 */
function errorOutcome(xml: string, response: Element, status: Status, ctx: Context): SamlOutcome {
  const inResponseTo = attribute(response, 'InResponseTo');
  if (!inResponseTo) reject('SAML_UNSOLICITED', 'the error Response has no InResponseTo');
  const signed = children(response, NS.dsig, 'Signature').length > 0;
  if (signed) {
    const check = verifyEnvelopedSignature(xml, response, ctx.idp.certificatesPem);
    if (!check.ok) reject('SAML_SIGNATURE_INVALID', `Response signature: ${check.detail}`);
  }
  checkDestination(response, signed, ctx);
  checkResponseIssuer(response, ctx);

  const [top, second] = status.codes;
  const text = `${status.message ?? ''} ${status.detailText}`.toLowerCase();
  let kind: 'cancelled' | 'authn-failed' | 'idp-error' = 'idp-error';
  if (text.includes('authn-cancel')) kind = 'cancelled';
  else if (second === `${STATUS}AuthnFailed`) kind = 'authn-failed';
  else if (second === `${STATUS}NoAuthnContext` || second === `${STATUS}NoPassive`) kind = 'cancelled';
  if (kind !== 'idp-error' && top !== `${STATUS}Responder` && top !== `${STATUS}Requester`)
    kind = 'idp-error';
  return {
    kind,
    ...(inResponseTo ? { inResponseTo } : {}),
    statusCodes: status.codes,
    ...(status.message !== undefined ? { statusMessage: status.message } : {}),
  };
}

function checkDestination(response: Element, signed: boolean, ctx: Context): void {
  const destination = attribute(response, 'Destination');
  // SAML bindings §3.5.5.2: a signed message must carry Destination, and it must be us.
  if (destination === undefined) {
    if (signed) reject('SAML_DESTINATION', 'the signed Response has no Destination');
    return;
  }
  if (destination !== ctx.sp.acsUrl) {
    reject('SAML_DESTINATION', `the Response is addressed to ${destination}, not ${ctx.sp.acsUrl}`);
  }
}

function checkResponseIssuer(response: Element, ctx: Context): void {
  const issuer = child(response, NS.assertion, 'Issuer');
  if (issuer && textOf(issuer).trim() !== ctx.idp.entityId) {
    reject('SAML_ISSUER', `the Response was issued by ${textOf(issuer).trim()}, not ${ctx.idp.entityId}`);
  }
}

function time(element: Element, name: string, required: true): number;
function time(element: Element, name: string, required: false): number | undefined;
function time(element: Element, name: string, required: boolean): number | undefined {
  const value = attribute(element, name);
  if (value === undefined) {
    if (required) reject('SAML_MALFORMED', `${element.localName} has no ${name}`);
    return undefined;
  }
  // xs:dateTime in UTC (SAML core §1.3.3): a time zone is required.
  const parsed = /(Z|[+-]\d\d:\d\d)$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(parsed))
    reject('SAML_MALFORMED', `${element.localName} ${name} "${value}" is not a UTC time`);
  return parsed;
}

function checkIssueInstant(element: Element, ctx: Context): void {
  const issued = time(element, 'IssueInstant', true);
  if (issued > ctx.now + ctx.skewMs) {
    reject(
      'SAML_ISSUE_INSTANT',
      `the ${element.localName} was issued in the future (${new Date(issued).toISOString()})`,
    );
  }
  if (ctx.now - issued > ctx.maxAgeMs + ctx.skewMs) {
    reject(
      'SAML_ISSUE_INSTANT',
      `the ${element.localName} was issued too long ago (${new Date(issued).toISOString()})`,
    );
  }
}

function judgeAssertion(
  assertion: Element,
  evidence: { assertionXml: string; contentNamespaces: ContentNamespaces; responseXml: string },
  response: Element,
  responseSigned: boolean,
  status: Status,
  ctx: Context,
): SamlOutcome {
  if (!is(assertion, NS.assertion, 'Assertion'))
    reject('SAML_MALFORMED', 'the verified element is not an Assertion');
  const assertionId = attribute(assertion, 'ID');
  if (!assertionId) return reject('SAML_MALFORMED', 'the Assertion has no ID');

  // Issuer: SAML profiles §4.1.4.2 — the assertion's Issuer must be the IdP.
  const issuerElement = child(assertion, NS.assertion, 'Issuer');
  const issuer = issuerElement ? textOf(issuerElement).trim() : '';
  if (issuer !== ctx.idp.entityId) {
    reject('SAML_ISSUER', `the Assertion was issued by ${issuer || '(nobody)'}, not ${ctx.idp.entityId}`);
  }
  checkResponseIssuer(response, ctx);
  checkDestination(response, responseSigned, ctx);

  // Conditions (SAML core §2.5.1.2): time window with the skew, then the audience.
  const conditionsList = children(assertion, NS.assertion, 'Conditions');
  if (conditionsList.length > 1) reject('SAML_MALFORMED', 'the Assertion has more than one Conditions');
  const conditions = conditionsList[0];
  const notBefore = conditions ? time(conditions, 'NotBefore', false) : undefined;
  const notOnOrAfter = conditions ? time(conditions, 'NotOnOrAfter', false) : undefined;
  if (notBefore !== undefined && ctx.now + ctx.skewMs < notBefore) {
    reject('SAML_NOT_YET_VALID', `the Assertion is valid only from ${new Date(notBefore).toISOString()}`);
  }
  if (notOnOrAfter !== undefined && ctx.now - ctx.skewMs >= notOnOrAfter) {
    reject('SAML_EXPIRED', `the Assertion expired at ${new Date(notOnOrAfter).toISOString()}`);
  }
  checkIssueInstant(response, ctx);
  checkIssueInstant(assertion, ctx);
  checkAudience(conditions, ctx);

  const inResponseTo = attribute(response, 'InResponseTo');
  if (!inResponseTo) return reject('SAML_UNSOLICITED', 'the Response has no InResponseTo');
  const subject = child(assertion, NS.assertion, 'Subject');
  if (!subject) return reject('SAML_MALFORMED', 'the Assertion has no Subject');
  const confirmedUntil = checkSubjectConfirmation(subject, inResponseTo, ctx);

  const nameIdElement = child(subject, NS.assertion, 'NameID');
  if (!nameIdElement)
    return reject('SAML_MALFORMED', 'the Subject has no NameID (EncryptedID is not supported)');
  const nameId = textOf(nameIdElement);
  if (!nameId.trim()) reject('SAML_MALFORMED', 'the NameID is empty');

  const authnStatements = children(assertion, NS.assertion, 'AuthnStatement');
  if (authnStatements.length === 0)
    reject('SAML_AUTHN_STATEMENT_MISSING', 'the Assertion has no AuthnStatement');
  const authnContext = authnStatements[0] && child(authnStatements[0], NS.assertion, 'AuthnContext');
  const classRef = authnContext && child(authnContext, NS.assertion, 'AuthnContextClassRef');
  const nameIdFormat = attribute(nameIdElement, 'Format');

  const expiresAt = Math.min(confirmedUntil, notOnOrAfter ?? Number.POSITIVE_INFINITY);
  return {
    kind: 'success',
    inResponseTo,
    assertionId,
    assertionExpiresAt: new Date(expiresAt),
    issuer,
    nameId,
    ...(nameIdFormat ? { nameIdFormat } : {}),
    ...(classRef ? { authnContextClassRef: textOf(classRef).trim() } : {}),
    attributes: readAttributes(assertion),
    ...evidence,
    statusCodes: status.codes,
  };
}

/** SAML core §2.5.1.4: every AudienceRestriction must name Signet; none at all is refused too. */
function checkAudience(conditions: Element | undefined, ctx: Context): void {
  const restrictions = conditions ? children(conditions, NS.assertion, 'AudienceRestriction') : [];
  if (restrictions.length === 0) reject('SAML_AUDIENCE', 'the Assertion has no AudienceRestriction');
  for (const restriction of restrictions) {
    const audiences = children(restriction, NS.assertion, 'Audience').map((a) => textOf(a).trim());
    if (!audiences.includes(ctx.sp.entityId)) {
      reject(
        'SAML_AUDIENCE',
        `the Assertion is meant for ${audiences.join(', ') || '(nobody)'}, not ${ctx.sp.entityId}`,
      );
    }
  }
}

/**
 * SAML profiles §4.1.4.2/§4.1.4.3: a bearer SubjectConfirmation whose data names Signet's ACS as
 * Recipient, is within its time window (with the skew), and answers our request. Returns its
 * NotOnOrAfter. When no bearer confirmation satisfies everything, the first one's first problem
 * is the reason.
 */
function checkSubjectConfirmation(subject: Element, inResponseTo: string, ctx: Context): number {
  const bearers = children(subject, NS.assertion, 'SubjectConfirmation').filter(
    (confirmation) => attribute(confirmation, 'Method') === BEARER,
  );
  if (bearers.length === 0)
    reject('SAML_SUBJECT_CONFIRMATION', 'the Subject has no bearer SubjectConfirmation');
  let firstProblem: Rejected | undefined;
  for (const bearer of bearers) {
    try {
      return checkBearer(bearer, inResponseTo, ctx);
    } catch (error) {
      if (!(error instanceof Rejected)) throw error;
      firstProblem ??= error;
    }
  }
  throw firstProblem;
}

function checkBearer(bearer: Element, inResponseTo: string, ctx: Context): number {
  const data = child(bearer, NS.assertion, 'SubjectConfirmationData');
  if (!data) return reject('SAML_SUBJECT_CONFIRMATION', 'the bearer SubjectConfirmation has no data');
  const recipient = attribute(data, 'Recipient');
  if (recipient !== ctx.sp.acsUrl) {
    reject(
      'SAML_RECIPIENT',
      `the bearer confirmation is for ${recipient ?? '(no Recipient)'}, not ${ctx.sp.acsUrl}`,
    );
  }
  const notOnOrAfter = time(data, 'NotOnOrAfter', false);
  if (notOnOrAfter === undefined) {
    return reject('SAML_SUBJECT_CONFIRMATION', 'the bearer SubjectConfirmationData has no NotOnOrAfter');
  }
  if (ctx.now - ctx.skewMs >= notOnOrAfter) {
    reject(
      'SAML_SUBJECT_CONFIRMATION',
      `the bearer confirmation expired at ${new Date(notOnOrAfter).toISOString()}`,
    );
  }
  const notBefore = time(data, 'NotBefore', false);
  if (notBefore !== undefined && ctx.now + ctx.skewMs < notBefore) {
    reject(
      'SAML_SUBJECT_CONFIRMATION',
      `the bearer confirmation is valid only from ${new Date(notBefore).toISOString()}`,
    );
  }
  const answered = attribute(data, 'InResponseTo');
  if (!answered) reject('SAML_UNSOLICITED', 'the bearer SubjectConfirmationData has no InResponseTo');
  if (answered !== inResponseTo) {
    reject(
      'SAML_IN_RESPONSE_TO_MISMATCH',
      `the assertion answers ${answered}, the Response answers ${inResponseTo}`,
    );
  }
  return notOnOrAfter;
}

/** Attribute values by Name, each value's text (complex values such as MDS addresses flattened). */
function readAttributes(assertion: Element): Record<string, string[]> {
  const attributes: Record<string, string[]> = {};
  for (const statement of children(assertion, NS.assertion, 'AttributeStatement')) {
    for (const element of children(statement, NS.assertion, 'Attribute')) {
      const name = attribute(element, 'Name');
      if (!name) continue;
      const values = children(element, NS.assertion, 'AttributeValue').map((value) => textOf(value).trim());
      attributes[name] = [...(attributes[name] ?? []), ...values];
    }
  }
  return attributes;
}
