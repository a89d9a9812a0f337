import { X509Certificate } from 'node:crypto';
import { SignetError } from '../../errors.ts';

/** What Signet trusts about an organisation's identity provider (from its metadata, SAML metadata §2.4.3). */
export interface SamlIdpConfig {
  entityId: string;
  /** SingleSignOnService with the HTTP-Redirect binding. */
  ssoRedirectUrl?: string;
  /** SingleSignOnService with the HTTP-POST binding. */
  ssoPostUrl?: string;
  /** Pinned IdP signing certificates (PEM) from metadata. A certificate in a message's KeyInfo is never trusted. */
  certificatesPem: string[];
  /** Allowed clock difference in seconds: default 60, at most 300. */
  clockSkewSeconds: number;
  /** How old an assertion's IssueInstant may be (plus the skew); default 300 seconds. */
  maxAuthnAgeSeconds?: number;
}

/** Signet as the Service Provider for one organisation. */
export interface SamlSp {
  /** e.g. `${publicUrl}/saml/${organizationId}/metadata` */
  entityId: string;
  /** e.g. `${publicUrl}/saml/${organizationId}/acs` */
  acsUrl: string;
  /** Signs AuthnRequests and metadata; decrypts encrypted assertions. */
  privateKeyPem: string;
  certificatePem: string;
}

export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
export const MAX_CLOCK_SKEW_SECONDS = 300;
export const DEFAULT_MAX_AUTHN_AGE_SECONDS = 300;

function invalid(detail: string): SignetError {
  return new SignetError('SAML_CONFIG_INVALID', detail);
}

/** Refuses an IdP configuration Signet must not run with; returns the effective limits. */
export function checkIdpConfig(idp: SamlIdpConfig): { skewMs: number; maxAgeMs: number } {
  if (!idp.entityId) throw invalid('The identity provider has no entity ID.');
  if (!Number.isInteger(idp.clockSkewSeconds) || idp.clockSkewSeconds < 0) {
    throw invalid('The clock skew must be a whole number of seconds, zero or more.');
  }
  if (idp.clockSkewSeconds > MAX_CLOCK_SKEW_SECONDS) {
    throw invalid(`The clock skew may be at most ${MAX_CLOCK_SKEW_SECONDS} seconds.`);
  }
  const maxAge = idp.maxAuthnAgeSeconds ?? DEFAULT_MAX_AUTHN_AGE_SECONDS;
  if (!Number.isFinite(maxAge) || maxAge <= 0) throw invalid('The assertion age limit must be positive.');
  if (idp.certificatesPem.length === 0) throw invalid('The identity provider has no signing certificate.');
  for (const pem of idp.certificatesPem) {
    try {
      new X509Certificate(pem);
    } catch {
      throw invalid('An identity provider certificate is not a valid X.509 certificate.');
    }
  }
  return { skewMs: idp.clockSkewSeconds * 1000, maxAgeMs: maxAge * 1000 };
}
