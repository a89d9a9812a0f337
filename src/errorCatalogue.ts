/**
 * Every error code Signet answers with, what it means and the HTTP status it is sent with.
 * This file is the only place a status is chosen: domain code throws `SignetError(code, detail)`
 * and never thinks about HTTP; `http/problem.ts` reads the status from here, the OpenAPI
 * document lists the codes per status, and the CLI prints `code: detail`.
 * Codes are part of the API contract: add new ones, never rename or repurpose one.
 */
export interface ErrorDefinition {
  readonly status: number;
  /** What the code means in general; each error's `detail` says what happened this time. */
  readonly meaning: string;
}

export const ERROR_CATALOGUE = {
  ACCESS_CODE_WRONG: { status: 422, meaning: 'The access code the signer entered is not right.' },
  API_KEY_INVALID: { status: 401, meaning: 'The API key is unknown or revoked.' },
  API_KEY_NOT_FOUND: { status: 404, meaning: 'No such active API key.' },
  API_KEY_SCOPE_MISSING: {
    status: 403,
    meaning: 'The API key (or the signed-in user) lacks the scope this endpoint needs.',
  },
  ARCHIVE_NOT_RENEWABLE: {
    status: 422,
    meaning: 'The file has no document time-stamp to renew (only PAdES B-LTA files are renewed).',
  },
  BAD_REQUEST: { status: 400, meaning: 'The request could not be understood (the detail says why).' },
  BLOB_ADDRESS_INVALID: { status: 500, meaning: 'A blob address is malformed (an internal fault).' },
  BLOB_CORRUPT: { status: 500, meaning: 'Stored document is not in the expected encrypted format.' },
  BLOB_KEY_UNKNOWN: { status: 500, meaning: 'Stored document was encrypted under a different master key.' },
  BLOB_MISSING: { status: 500, meaning: 'A stored document is missing from the blob store.' },
  BLOB_TAMPERED: { status: 500, meaning: 'A stored document does not match its recorded hash.' },
  BRANDING_COLOR_LOW_CONTRAST: {
    status: 422,
    meaning:
      'White text on the primary colour would be hard to read: it needs a contrast of at least 4.5:1 (WCAG 2.1 AA).',
  },
  CA_IMPORT_PENDING: {
    status: 500,
    meaning:
      'An offline-root setup was started (`signet ca csr`) but its issuing CA certificate is not imported yet (`signet ca import`).',
  },
  CA_ONLINE_ROOT_PRESENT: {
    status: 409,
    meaning:
      'This installation keeps a root CA key online (the development CA): an offline root is set up without one.',
  },
  CA_ROOT_CRL_MISSING: {
    status: 503,
    meaning: 'The root CA is offline and no root CRL has been imported (`signet ca import --root-crl`).',
  },
  CA_ROOT_OFFLINE: {
    status: 500,
    meaning: 'The root CA key is offline: nothing in the running installation can sign with it.',
  },
  CERTIFICATE_ALREADY_REVOKED: { status: 409, meaning: 'The certificate is already revoked.' },
  CERTIFICATE_AMBIGUOUS: {
    status: 409,
    meaning: 'More than one issued certificate matches; give the full serial number.',
  },
  CERTIFICATE_CHAIN_INVALID: {
    status: 422,
    meaning:
      'The certificates given do not form a chain from the certificate to a root, or one of them may not be used here.',
  },
  CERTIFICATE_ISSUER_MISMATCH: { status: 500, meaning: 'The certificate was not issued by that issuer.' },
  CERTIFICATE_NOT_FOUND: {
    status: 404,
    meaning: 'No certificate issued by this installation has that serial number.',
  },
  CERTIFICATE_REVOKED: {
    status: 422,
    meaning: 'A certificate needed for signing is revoked, so no valid signature can be made with it.',
  },
  CERTIFICATE_SERIAL_INVALID: { status: 400, meaning: 'A certificate serial number must be hexadecimal.' },
  CLI_OPTION_REQUIRED: { status: 400, meaning: 'A command-line option the command needs is missing.' },
  CMS_DIGEST_INVALID: {
    status: 500,
    meaning: 'A CMS signature was asked for with a digest of the wrong length (an internal fault).',
  },
  CONSENT_REQUIRED: { status: 409, meaning: 'Agree to sign electronically before finishing.' },
  CSRF_TOKEN_INVALID: {
    status: 403,
    meaning:
      'A request signed in by the session cookie that changes something must send the signet_csrf cookie’s value as X-CSRF-Token.',
  },
  CSR_INVALID: {
    status: 422,
    meaning: 'The file is not a PKCS#10 certification request, or its signature does not verify.',
  },
  CURSOR_INVALID: { status: 400, meaning: 'The pagination cursor is not valid.' },
  CUSTOM_DOMAIN_INVALID: {
    status: 400,
    meaning: 'The custom domain is not a host name an organisation can use.',
  },
  CUSTOM_DOMAIN_TAKEN: { status: 409, meaning: 'Another organisation already uses this custom domain.' },
  DEV_PKI_INCOMPLETE: {
    status: 500,
    meaning:
      'The built-in CA files under DATA_DIR/pki are incomplete; restore them or start from an empty folder.',
  },
  DEV_PKI_LEGACY_LAYOUT: {
    status: 500,
    meaning: 'The built-in CA files are in a layout this version no longer reads.',
  },
  DISTINGUISHED_NAME_INVALID: {
    status: 400,
    meaning: 'A distinguished name ("CN=…,O=…,C=…", RFC 4514) cannot be read.',
  },
  DOCUMENT_ENCRYPTED: { status: 422, meaning: 'A stored document is encrypted.' },
  DOCUMENT_NOT_FOUND: { status: 404, meaning: 'The envelope has no document with that id.' },
  DOCUMENT_REQUIRED: { status: 400, meaning: 'Attach at least one PDF document.' },
  DOCUMENT_UNREADABLE: { status: 422, meaning: 'A stored document cannot be read as a PDF.' },
  DOCUMENTS_NOT_VIEWED: {
    status: 409,
    meaning:
      'The recipient has not opened every document yet; fetch each one (GET …/signing/{token}/documents/{id}) before finishing.',
  },
  EMAIL_INVALID: { status: 400, meaning: 'The email address is not valid.' },
  EMAIL_TEMPLATE_INVALID: {
    status: 400,
    meaning:
      'The mail template cannot be used: a placeholder this kind of mail does not have, or tags other than {{placeholder}}.',
  },
  EMBEDDING_ORIGIN_INVALID: {
    status: 422,
    meaning:
      'An embedding origin must be an http or https origin (scheme, host and optional port; no path, query or user name).',
  },
  ENVELOPE_ALREADY_SENT: { status: 409, meaning: 'Only a draft envelope can be sent.' },
  ENVELOPE_COMPLETED: { status: 409, meaning: 'The envelope is already completed.' },
  ENVELOPE_DECLINED: { status: 409, meaning: 'The envelope was declined and can no longer be signed.' },
  ENVELOPE_EXPIRED: { status: 409, meaning: 'The envelope expired and can no longer be signed.' },
  ENVELOPE_NOT_COMPLETED: {
    status: 409,
    meaning: 'The envelope is not completed, so it has no sealed document or certificate yet.',
  },
  ENVELOPE_NOT_DRAFT: { status: 409, meaning: 'Only drafts can be deleted; void a sent envelope instead.' },
  ENVELOPE_NOT_DUE_TO_EXPIRE: {
    status: 409,
    meaning: 'The envelope cannot expire yet: its expiry time has not passed (the expiry job skips it).',
  },
  ENVELOPE_NOT_FOUND: { status: 404, meaning: 'No envelope with that id in this organisation.' },
  ENVELOPE_NOT_IN_PROGRESS: {
    status: 409,
    meaning: 'The action needs an envelope that is sent and not yet finished.',
  },
  ENVELOPE_NOT_SEALED: { status: 409, meaning: 'The completed document is not ready yet.' },
  ENVELOPE_NOT_SENT: { status: 409, meaning: 'The envelope has not been sent yet, so nobody can sign it.' },
  ENVELOPE_NOT_VOIDABLE: { status: 409, meaning: 'Only a draft or sent envelope can be voided.' },
  ENVELOPE_VOIDED: { status: 409, meaning: 'The sender voided the envelope; it can no longer be signed.' },
  FIELDS_REQUIRED: { status: 422, meaning: 'Fill in every required field before finishing.' },
  FIELD_NOT_EDITABLE: {
    status: 400,
    meaning: 'A value was given for a field Signet fills itself (date signed, name).',
  },
  FIELD_OFF_PAGE: {
    status: 422,
    meaning: 'A field lies outside its page, or on a page the document does not have.',
  },
  FIELD_RECIPIENT_NOT_SIGNER: {
    status: 422,
    meaning: 'A field is assigned to a recipient who does not sign.',
  },
  FIELD_UNKNOWN: { status: 400, meaning: 'A value was given for a field this recipient does not have.' },
  FIELD_UNKNOWN_DOCUMENT: {
    status: 422,
    meaning: 'A field is placed on a document the envelope does not have.',
  },
  FIELD_UNKNOWN_RECIPIENT: {
    status: 422,
    meaning: 'A field is assigned to a recipient the envelope does not have.',
  },
  FIELD_VALUE_INVALID: { status: 400, meaning: 'A field value is not valid for its field type.' },
  FILE_UNREADABLE: { status: 400, meaning: 'A file named on the command line cannot be read.' },
  IDEMPOTENCY_ANSWER_NOT_KEPT: {
    status: 422,
    meaning:
      'The request with this Idempotency-Key was answered, but the answer was too large to keep for a replay.',
  },
  IDEMPOTENCY_KEY_IN_USE: {
    status: 409,
    meaning: 'A request with this Idempotency-Key is still being processed; retry after Retry-After.',
  },
  IDEMPOTENCY_KEY_INVALID: {
    status: 400,
    meaning: 'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    meaning: 'This Idempotency-Key was used within 24 hours for a different request.',
  },
  IDENTITY_ALREADY_PASSED: { status: 409, meaning: 'The recipient’s identity has already been verified.' },
  IDENTITY_FAILED: { status: 422, meaning: 'The identity check did not pass.' },
  IDENTITY_LOCKED: {
    status: 423,
    meaning: 'Too many wrong codes: the check is locked until the sender unlocks it.',
  },
  IDENTITY_METHOD_NOT_REQUIRED: {
    status: 404,
    meaning: 'This recipient is not asked for that identity check.',
  },
  IDENTITY_PROVIDER_REMOVED: {
    status: 409,
    meaning:
      'The identity provider a recipient’s check needs was removed after the envelope was sent; the sender must configure it again.',
  },
  IDENTITY_REQUIRED: { status: 403, meaning: 'The recipient must pass their identity checks first.' },
  INTERNAL_ERROR: { status: 500, meaning: 'Something went wrong on our side.' },
  INVALID_SIGNATURE_IMAGE: {
    status: 422,
    meaning: 'A drawn signature image cannot be placed on the document.',
  },
  INVITATION_INVALID: {
    status: 410,
    meaning: 'The invitation link is used up, expired or unknown: ask an admin for a new one.',
  },
  JSON_INVALID: { status: 400, meaning: 'The request body, or its `envelope` part, is not valid JSON.' },
  KEYSTORE_CLOSED: { status: 500, meaning: 'The PKCS#11 key store is closed.' },
  KEY_CERTIFICATE_MISMATCH: {
    status: 422,
    meaning: 'The private key does not belong to the sealing certificate.',
  },
  KEY_DECRYPTION_FAILED: {
    status: 500,
    meaning: 'A key file cannot be decrypted with the configured master key.',
  },
  KEY_DESTROYED: { status: 500, meaning: 'The one-time key was already destroyed.' },
  KEY_LABEL_AMBIGUOUS: { status: 500, meaning: 'More than one key in the token has that label.' },
  KEY_LABEL_INVALID: { status: 400, meaning: 'A key label is 1 to 128 bytes and not reserved.' },
  KEY_LABEL_TAKEN: { status: 409, meaning: 'A key with that label already exists.' },
  KEY_NOT_FOUND: {
    status: 404,
    meaning: 'The key store holds no key with that label.',
  },
  KEY_PUBLIC_HALF_MISSING: { status: 500, meaning: 'The token holds a private key without its public key.' },
  KEY_UNREADABLE: { status: 500, meaning: 'A key file cannot be read.' },
  KEY_UNSUPPORTED: { status: 422, meaning: 'The key type or size is not one Signet signs with.' },
  KEY_UPGRADE_CONFLICT: {
    status: 500,
    meaning: 'A plaintext key file and its encrypted replacement disagree; an operator must choose.',
  },
  LAST_ACTIVE_OWNER: {
    status: 409,
    meaning:
      'The organisation’s last active owner cannot be demoted or deactivated: make someone else an owner first.',
  },
  LOGO_DIMENSIONS_INVALID: { status: 422, meaning: 'The logo is too small or too large in pixels.' },
  LOGO_NOT_FOUND: { status: 404, meaning: 'The organisation has no logo.' },
  LOGO_TOO_LARGE: { status: 413, meaning: 'The logo file is larger than 256 kB.' },
  LOGO_UNSUPPORTED: { status: 415, meaning: 'The logo must be a readable PNG or JPEG image.' },
  MULTIPART_INVALID: { status: 400, meaning: 'The multipart body is malformed or incomplete.' },
  NO_ACTIONABLE_RECIPIENT: {
    status: 422,
    meaning:
      'At least one recipient must sign, approve or view: cc recipients only receive the completed copy.',
  },
  NO_DOCUMENTS: { status: 422, meaning: 'There is no document to compose.' },
  NOT_READY: {
    status: 503,
    meaning: 'The service is not ready: its database (or another store it needs) is not reachable.',
  },
  OFFLINE_CA_EXISTS: {
    status: 409,
    meaning: 'The directory already holds an offline root CA; it is never overwritten.',
  },
  OFFLINE_CA_INSIDE_DATA_DIR: {
    status: 400,
    meaning: "An offline root CA must live outside the installation's DATA_DIR.",
  },
  OFFLINE_CA_NOT_FOUND: {
    status: 404,
    meaning: 'The directory holds no offline root CA (`signet ca init --offline` makes one).',
  },
  OFFLINE_CA_PASSPHRASE_INVALID: {
    status: 422,
    meaning: "The offline root CA's passphrase is missing, too short, or wrong.",
  },
  OIDC_CONFIG_INVALID: { status: 422, meaning: 'The OpenID Connect provider configuration is not valid.' },
  OIDC_DISCOVERY_FAILED: {
    status: 502,
    meaning: "The OpenID provider's discovery document could not be fetched or read.",
  },
  OIDC_DISCOVERY_REFUSED: {
    status: 422,
    meaning: "The OpenID provider's discovery URL leads somewhere Signet does not connect to.",
  },
  OIDC_NOT_CONFIGURED: {
    status: 422,
    meaning:
      'A recipient needs an OpenID Connect check, but the organisation has no OpenID provider configured.',
  },
  ORGANIZATION_NOT_FOUND: { status: 404, meaning: 'No such organization.' },
  ORGANIZATION_REQUIRED: {
    status: 400,
    meaning: 'This email belongs to several organisations: give organizationId.',
  },
  ORG_NAME_REQUIRED: { status: 400, meaning: 'An organisation needs a name.' },
  ORG_NOT_FOUND: { status: 404, meaning: 'No organisation has that id.' },
  ORIGIN_NOT_ALLOWED: {
    status: 403,
    meaning: 'A request with the session cookie came from a page of another origin than PUBLIC_URL’s.',
  },
  OTP_ATTEMPTS_EXHAUSTED: {
    status: 422,
    meaning: 'Too many wrong entries for this one-time code; ask for a new one.',
  },
  OTP_EXPIRED: { status: 422, meaning: 'The one-time code has expired; ask for a new one.' },
  OTP_NOT_SENT: { status: 409, meaning: 'Ask for a code first.' },
  OTP_RESEND_TOO_SOON: { status: 429, meaning: 'A new code was asked for too soon after the last one.' },
  OTP_SEND_LIMIT: {
    status: 429,
    meaning: 'No more codes can be sent for this signing link; ask the sender to resend the envelope.',
  },
  OTP_WRONG: { status: 422, meaning: 'The one-time code the signer entered is not right.' },
  OUTBOUND_ADDRESS_REFUSED: {
    status: 422,
    meaning:
      'A URL leads to an address Signet does not connect to (loopback, private, link-local or another internal network).',
  },
  OUTBOUND_HTTP_STATUS: { status: 502, meaning: 'Another server answered with an HTTP error.' },
  OUTBOUND_REDIRECT_REFUSED: {
    status: 422,
    meaning: 'A server redirected too often, or to a URL Signet does not fetch.',
  },
  OUTBOUND_REQUEST_INVALID: { status: 500, meaning: 'An outbound request could not be sent.' },
  OUTBOUND_TIMEOUT: { status: 504, meaning: 'Another server did not answer in time.' },
  OUTBOUND_TOO_LARGE: { status: 502, meaning: "Another server's answer is larger than Signet accepts." },
  OUTBOUND_UNREACHABLE: {
    status: 502,
    meaning: 'Another server could not be reached, or its answer was not valid HTTP.',
  },
  OUTBOUND_URL_INVALID: {
    status: 422,
    meaning: 'A URL Signet was asked to fetch is not an absolute http(s) URL without credentials.',
  },
  OWNER_REQUIRED: {
    status: 403,
    meaning: 'Only an owner may make someone an owner, or change, deactivate or reactivate an owner.',
  },
  PADES_SERVICE_MISSING: {
    status: 500,
    meaning: 'The signature level needs a service (time-stamping, revocation data) that is not configured.',
  },
  PASSKEY_CHALLENGE_INVALID: { status: 401, meaning: 'This passkey request has expired: start again.' },
  PASSKEY_REJECTED: { status: 422, meaning: 'The passkey was not accepted.' },
  PASSKEY_SIGN_IN_FAILED: { status: 401, meaning: 'The passkey presented at sign-in was not accepted.' },
  PASSKEY_UNKNOWN: { status: 401, meaning: 'This passkey is not registered here.' },
  PASSWORD_RESET_INVALID: {
    status: 410,
    meaning: 'The password reset link is used up, expired or unknown: ask for a new one.',
  },
  PASSWORD_TOO_SHORT: { status: 422, meaning: 'The new password is too short.' },
  PASSWORD_WRONG: { status: 403, meaning: 'The current password is not right.' },
  PDF_ALREADY_SIGNED: { status: 422, meaning: 'Only the first signature of a document can certify it.' },
  PDF_CERTIFIED: {
    status: 422,
    meaning: 'The PDF is certified with a permission that forbids the changes signing would make.',
  },
  PDF_DAMAGED: { status: 422, meaning: 'The PDF is damaged: its objects cannot be read.' },
  PDF_EMPTY: { status: 400, meaning: 'The file is empty.' },
  PDF_ENCRYPTED: { status: 422, meaning: 'The document is encrypted; remove the password first.' },
  PDF_MISSING: {
    status: 400,
    meaning: 'Send the PDF as the request body (application/pdf) or as a multipart part named `file`.',
  },
  PDF_NOT_PDF: { status: 400, meaning: 'The file is not a PDF (no %PDF- header).' },
  PDF_PAGE_MISSING: { status: 422, meaning: 'The page a signature appearance should go on does not exist.' },
  PDF_TOO_COMPLEX: {
    status: 422,
    meaning: 'The PDF is too complex to process within the configured limits (PDF_MAX_*).',
  },
  PDF_TOO_LARGE: { status: 413, meaning: 'A PDF is larger than this server accepts (MAX_UPLOAD_MB).' },
  PDF_TOO_MANY_SIGNATURES: {
    status: 422,
    meaning: 'The PDF holds more signatures than the validator checks.',
  },
  PEM_INVALID: {
    status: 422,
    meaning: 'A PEM file is malformed, or does not hold what was expected.',
  },
  PKCS11_LOGIN_FAILED: { status: 500, meaning: 'Logging in to the PKCS#11 token failed (PIN).' },
  PKCS11_MODULE_UNAVAILABLE: { status: 500, meaning: 'The PKCS#11 module cannot be loaded.' },
  PKCS11_NOT_CONFIGURED: {
    status: 500,
    meaning: 'Set PKCS11_MODULE, PKCS11_TOKEN_LABEL and PKCS11_PIN to use a PKCS#11 token.',
  },
  PKCS11_TOKEN_AMBIGUOUS: { status: 500, meaning: 'More than one PKCS#11 token has the configured label.' },
  PKCS11_TOKEN_NOT_FOUND: { status: 500, meaning: 'No PKCS#11 token has the configured label.' },
  PKCS12_INVALID: { status: 422, meaning: 'The PKCS#12 file cannot be read, or the password is wrong.' },
  RATE_LIMITED: { status: 429, meaning: 'Too many requests: wait as long as Retry-After says.' },
  RECIPIENT_ALREADY_COMPLETED: { status: 409, meaning: 'You have already completed this envelope.' },
  RECIPIENT_ALREADY_INVITED: {
    status: 409,
    meaning: 'The recipient was invited already; a reminder sends them a fresh link.',
  },
  RECIPIENT_CANNOT_SIGN: {
    status: 409,
    meaning: 'You receive a copy of this envelope; there is nothing to sign.',
  },
  RECIPIENT_DECLINED: { status: 409, meaning: 'You declined this envelope.' },
  RECIPIENT_DUPLICATE: { status: 400, meaning: 'Each recipient may appear only once.' },
  RECIPIENT_NOT_FOUND: { status: 404, meaning: 'No such recipient on this envelope.' },
  RECIPIENT_NOT_YET_ACTIVE: { status: 409, meaning: 'It is not your turn to sign yet.' },
  REQUEST_TOO_LARGE: {
    status: 413,
    meaning: 'The request is larger than this server accepts (MAX_REQUEST_MB, or too many parts).',
  },
  REVOCATION_DATA_UNAVAILABLE: {
    status: 503,
    meaning: 'Revocation data (OCSP or CRL) for a certificate could not be obtained.',
  },
  REVOCATION_ISSUER_UNKNOWN: {
    status: 422,
    meaning: 'The issuer of a certificate is unknown, so its revocation data cannot be checked.',
  },
  REVOCATION_REASON_UNKNOWN: { status: 400, meaning: 'The revocation reason is not one RFC 5280 defines.' },
  ROLE_UNKNOWN: {
    status: 400,
    meaning: 'A role that does not exist was named (owner, admin, sender or viewer).',
  },
  ROUTE_NOT_FOUND: { status: 404, meaning: 'No such endpoint.' },
  SAML_BINDING_UNSUPPORTED: {
    status: 409,
    meaning: 'The identity provider offers no binding Signet supports (HTTP-Redirect or HTTP-POST).',
  },
  SAML_CONFIG_INVALID: { status: 422, meaning: 'The SAML identity provider configuration is not valid.' },
  SAML_METADATA_INVALID: { status: 422, meaning: 'The SAML metadata is not valid or is too large.' },
  SAML_METADATA_REQUIRED: { status: 400, meaning: 'Give metadataXml or metadataUrl.' },
  SAML_METADATA_UNREACHABLE: {
    status: 422,
    meaning: 'The identity provider’s metadata URL could not be fetched.',
  },
  SAML_NOT_CONFIGURED: {
    status: 422,
    meaning: 'A recipient needs a SAML check, but the organisation has no SAML identity provider configured.',
  },
  SAML_RELAY_STATE_INVALID: { status: 422, meaning: 'RelayState may be at most 80 bytes.' },
  SCOPE_NOT_GRANTABLE: {
    status: 403,
    meaning: 'An API key cannot be given a scope that whoever creates it lacks.',
  },
  SCOPE_UNKNOWN: { status: 400, meaning: 'An API key scope that does not exist was named.' },
  SEALING_CHAIN_MISSING: {
    status: 500,
    meaning: 'The sealing key has no imported certificate chain (`signet keys import-cert`).',
  },
  SEAL_ALREADY_DONE: {
    status: 409,
    meaning: 'The envelope is already sealed, so this seal attempt has nothing to do.',
  },
  SEAL_LEASED: {
    status: 409,
    meaning: 'Another process holds a live lease on this envelope’s seal and is sealing it.',
  },
  SEAL_NOT_RUNNING: {
    status: 409,
    meaning: 'The envelope’s seal is not running, so it has no lease to renew and cannot fail.',
  },
  SEAL_NOT_STALLED: {
    status: 409,
    meaning: 'The envelope’s seal has not stalled (it is not running, or its lease is live).',
  },
  SECOND_FACTOR_FAILED: { status: 401, meaning: 'That code is not right.' },
  SELF_DEACTIVATION: {
    status: 409,
    meaning: 'Nobody can deactivate themselves: another admin or owner can.',
  },
  SERVER_BUSY: {
    status: 503,
    meaning: 'Too many documents are being processed right now; try again in a minute.',
  },
  SESSION_INVALID: { status: 401, meaning: 'The session has ended: sign in again.' },
  SESSION_REQUIRED: { status: 403, meaning: 'Sign in as a user for this.' },
  SIGNATURE_INVALID: { status: 400, meaning: 'The drawn or adopted signature is not a usable PNG image.' },
  SIGNATURE_TOO_LARGE: {
    status: 500,
    meaning: 'A signature does not fit the space reserved for it (an internal fault).',
  },
  SIGNER_EMAIL_UNSUPPORTED: { status: 422, meaning: 'A signer certificate needs an ASCII e-mail address.' },
  SIGNER_WITHOUT_SIGNATURE_FIELD: {
    status: 422,
    meaning: 'Every signer needs at least one signature field before the envelope can be sent.',
  },
  SIGNING_LINK_EXPIRED: {
    status: 410,
    meaning: 'This signing link has expired. Ask the sender to send you a new one.',
  },
  SIGNING_LINK_INVALID: { status: 404, meaning: 'This signing link is not valid.' },
  SIGNING_LINK_REVOKED: { status: 410, meaning: 'This signing link was withdrawn by the sender.' },
  SIGN_IN_CHALLENGE_INVALID: { status: 401, meaning: 'Sign in again: this step has expired.' },
  SIGN_IN_FAILED: {
    status: 401,
    meaning:
      'The email or the password is not right, or there were too many attempts: wait a few minutes and try again.',
  },
  SIGN_IN_LOCKED: { status: 423, meaning: 'Too many failed sign-ins: try again later.' },
  SSO_CODE_INVALID: { status: 401, meaning: 'This sign-in link is used up or expired: sign in again.' },
  SSO_NOT_CONFIGURED: { status: 404, meaning: 'This organisation has no OpenID Connect sign-in for staff.' },
  TEXT_INVALID: { status: 400, meaning: 'Some text cannot be stored; see `errors`.' },
  TOTP_ALREADY_ENABLED: { status: 409, meaning: 'Two-step sign-in is already on.' },
  TOTP_CODE_WRONG: {
    status: 422,
    meaning: 'The authenticator code given to confirm two-step sign-in is not right.',
  },
  TOTP_NOT_STARTED: { status: 409, meaning: 'Start the enrolment first.' },
  TRUST_ANCHOR_INVALID: {
    status: 400,
    meaning: 'A trust anchor given for verification is not a certificate.',
  },
  TSA_IMPRINT_INVALID: { status: 500, meaning: 'The time-stamp authority answered for different data.' },
  TSA_NOT_CONFIGURED: { status: 500, meaning: 'No TSA URL configured and no built-in TSA given.' },
  TSA_UNAVAILABLE: { status: 503, meaning: 'No configured time-stamp authority gave a valid time-stamp.' },
  UNAUTHENTICATED: { status: 401, meaning: 'Send an API key as `Authorization: Bearer <key>`.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'Send JSON (application/json) or multipart/form-data.' },
  URL_INVALID: { status: 400, meaning: 'The request URL cannot be used.' },
  USER_EXISTS: { status: 409, meaning: 'The organisation already has a user with that email address.' },
  USER_NOT_FOUND: { status: 404, meaning: 'No such user.' },
  VALIDATION_FAILED: {
    status: 400,
    meaning: 'Some input is invalid; `errors` lists every problem with its path.',
  },
  VALIDATION_TIME_INVALID: {
    status: 400,
    meaning: 'The validation time (`--at`, `at`) must be an ISO 8601 instant with Z or an offset.',
  },
  WEB_APP_NOT_BUILT: {
    status: 503,
    meaning: 'The web app was not built on this installation (`npm run build` builds it).',
  },
  WEBHOOK_DISABLED: {
    status: 409,
    meaning: 'The webhook is disabled; enable it before sending it a test or a replay.',
  },
  WEBHOOK_LIMIT_REACHED: { status: 409, meaning: 'The organisation has as many webhooks as it may have.' },
  WEBHOOK_MESSAGE_NOT_FOUND: { status: 404, meaning: 'No message with that id was sent to this webhook.' },
  WEBHOOK_NOT_FOUND: { status: 404, meaning: 'No webhook with that id in this organisation.' },
  WEBHOOK_URL_INVALID: {
    status: 422,
    meaning: 'A webhook URL must be an absolute http or https URL without user name or password.',
  },
  WEBHOOK_URL_REFUSED: {
    status: 422,
    meaning:
      'The webhook URL leads to an address webhooks are not sent to (loopback, private, link-local, metadata).',
  },
  WEBHOOK_URL_UNRESOLVABLE: { status: 422, meaning: "The webhook URL's host name does not resolve." },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CATALOGUE, code);
