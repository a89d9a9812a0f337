import fs from 'node:fs';
const rows = JSON.parse(fs.readFileSync('.scratch/codes.json', 'utf8'));
const fix = { KEY_LABEL_INVALID: 400, ENVELOPE_NOT_FOUND: 404, PASSKEY_REJECTED: 422, SECOND_FACTOR_FAILED: 401,
  API_KEY_NOT_FOUND: 404, ORG_NOT_FOUND: 404, CLI_OPTION_REQUIRED: 400, FILE_UNREADABLE: 400, PKCS11_NOT_CONFIGURED: 500,
  REVOCATION_REASON_UNKNOWN: 400, SCOPE_UNKNOWN: 400 };
const extra = {
  PASSKEY_SIGN_IN_FAILED: [401, 'The passkey presented at sign-in was not accepted.'],
  TOTP_CODE_WRONG: [422, 'The authenticator code given to confirm two-step sign-in is not right.'],
  OIDC_DISCOVERY_REFUSED: [422, "The OpenID provider's discovery URL leads somewhere Signet does not connect to."],
  OIDC_DISCOVERY_FAILED: [502, "The OpenID provider's discovery document could not be fetched or read."],
  SAML_NOT_CONFIGURED: null, OIDC_NOT_CONFIGURED: null,
  ENVELOPE_ALREADY_SENT: [409, 'Only a draft envelope can be sent.'],
  ENVELOPE_NOT_VOIDABLE: [409, 'Only a draft or sent envelope can be voided.'],
  ENVELOPE_NOT_IN_PROGRESS: [409, 'The action needs an envelope that is sent and not yet finished.'],
  ENVELOPE_NOT_DRAFT: [409, 'Only drafts can be deleted; void a sent envelope instead.'],
  ENVELOPE_NOT_SENT: [409, 'The envelope has not been sent yet, so nobody can sign it.'],
  ENVELOPE_COMPLETED: [409, 'The envelope is already completed.'],
  ENVELOPE_DECLINED: [409, 'The envelope was declined and can no longer be signed.'],
  ENVELOPE_VOIDED: [409, 'The sender voided the envelope; it can no longer be signed.'],
  ENVELOPE_EXPIRED: [409, 'The envelope expired and can no longer be signed.'],
  ACCESS_CODE_WRONG: [422, 'The access code the signer entered is not right.'],
  OTP_WRONG: [422, 'The one-time code the signer entered is not right.'],
  OTP_EXPIRED: [422, 'The one-time code has expired; ask for a new one.'],
  OTP_ATTEMPTS_EXHAUSTED: [422, 'Too many wrong entries for this one-time code; ask for a new one.'],
  IDENTITY_FAILED: [422, 'The identity check did not pass.'],
  FIELD_UNKNOWN_RECIPIENT: [422, 'A field is assigned to a recipient the envelope does not have.'],
  FIELD_RECIPIENT_NOT_SIGNER: [422, 'A field is assigned to a recipient who does not sign.'],
  FIELD_UNKNOWN_DOCUMENT: [422, 'A field is placed on a document the envelope does not have.'],
  FIELD_OFF_PAGE: [422, 'A field lies outside its page, or on a page the document does not have.'],
  BAD_REQUEST: [400, 'The request could not be understood (the detail says why).'],
  OUTBOUND_URL_INVALID: [422, 'A URL Signet was asked to fetch is not an absolute http(s) URL without credentials.'],
  OUTBOUND_REQUEST_INVALID: [500, 'An outbound request could not be sent.'],
  OUTBOUND_ADDRESS_REFUSED: [422, 'A URL leads to an address Signet does not connect to (loopback, private, link-local or another internal network).'],
  OUTBOUND_REDIRECT_REFUSED: [422, 'A server redirected too often, or to a URL Signet does not fetch.'],
  OUTBOUND_UNREACHABLE: [502, 'Another server could not be reached, or its answer was not valid HTTP.'],
  OUTBOUND_TIMEOUT: [504, 'Another server did not answer in time.'],
  OUTBOUND_TOO_LARGE: [502, "Another server's answer is larger than Signet accepts."],
  OUTBOUND_HTTP_STATUS: [502, 'Another server answered with an HTTP error.'],
};
const entries = new Map();
for (const r of rows) {
  const status = fix[r.code] ?? r.statuses[0];
  let meaning = r.details.find((d) => d.length > 0) ?? '';
  meaning = meaning.replace(/^[a-z]/, (c) => c.toUpperCase());
  if (meaning && !/[.!?]$/.test(meaning)) meaning += '.';
  entries.set(r.code, [status, meaning]);
}
for (const [k, v] of Object.entries(extra)) if (v) entries.set(k, v);
const lines = [...entries].sort(([a], [b]) => a.localeCompare(b)).map(([code, [status, meaning]]) =>
  `  ${code}: { status: ${status}, meaning: ${JSON.stringify(meaning || 'TODO')} },`);
fs.writeFileSync('.scratch/catalogue-body.txt', lines.join('\n') + '\n');
console.log(lines.filter((l) => l.includes('TODO')).join('\n'));
