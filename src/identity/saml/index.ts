/*
 * Signet's SAML 2.0 Service Provider core (SPEC §E): no database, no HTTP. The service around it
 * (../samlService.ts) keeps requests in flight, assertion IDs seen, and the audit trail.
 */
export {
  type AuthnRequest,
  type AuthnRequestOptions,
  createAuthnRequest,
  NAME_ID_EMAIL,
  NAME_ID_PERSISTENT,
} from './authnRequest.ts';
export {
  checkIdpConfig,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_AUTHN_AGE_SECONDS,
  MAX_CLOCK_SKEW_SECONDS,
  type SamlIdpConfig,
  type SamlSp,
} from './config.ts';
export { createSpKeyPair } from './keys.ts';
export { buildSpMetadata, METADATA_MAX_BYTES, parseIdpMetadata } from './metadata.ts';
export {
  MAX_RESPONSE_BASE64_LENGTH,
  type SamlOutcome,
  type SamlRejection,
  validateSamlResponse,
} from './response.ts';
