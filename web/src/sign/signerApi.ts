import { type components, SignetApiError } from '@signet/sdk';
import { signet } from '../shared/api.ts';

/*
 * The signer API, as the ceremony calls it: through the typed SDK, exactly as an integrator's
 * own interface would. The link's token is the only credential.
 */

export type SigningSession = components['schemas']['SigningSession'];
export type SigningDocument = components['schemas']['SigningDocument'];
export type Field = components['schemas']['Field'];
export type IdentityCheck = components['schemas']['IdentityCheck'];
export type AdoptedMarkBody = components['schemas']['AdoptedMarkInput'];

const path = (token: string) => ({ params: { path: { token } } });

export const signerApi = {
  open: (token: string) => signet().get('/api/v1/signing/{token}', path(token)),
  consent: (token: string) => signet().post('/api/v1/signing/{token}/consent', path(token)),
  saveFields: (token: string, values: Record<string, string | boolean | null>) =>
    signet().put('/api/v1/signing/{token}/fields', { ...path(token), body: { values } }),
  finish: (token: string, body: { signature?: AdoptedMarkBody; initials?: AdoptedMarkBody }) =>
    signet().post('/api/v1/signing/{token}/finish', { ...path(token), body }),
  decline: (token: string, reason: string) =>
    signet().post('/api/v1/signing/{token}/decline', { ...path(token), body: { reason } }),
  document: (token: string, documentId: string) => signet().downloadSigningDocument(token, documentId),
  accessCode: (token: string, code: string) =>
    signet().post('/api/v1/signing/{token}/identity/access-code', { ...path(token), body: { code } }),
  sendOneTimeCode: (token: string) => signet().post('/api/v1/signing/{token}/identity/otp/send', path(token)),
  verifyOneTimeCode: (token: string, code: string) =>
    signet().post('/api/v1/signing/{token}/identity/otp/verify', { ...path(token), body: { code } }),
};

/** Where a browser navigation goes (identity providers, the signed copy): not fetch calls. */
export const signerUrls = {
  samlStart: (token: string) => `/api/v1/signing/${encodeURIComponent(token)}/identity/saml/start`,
  oidcStart: (token: string) => `/api/v1/signing/${encodeURIComponent(token)}/identity/oidc/start`,
  download: (token: string) => `/api/v1/signing/${encodeURIComponent(token)}/download`,
};

/** A failed call as the ceremony shows it: the catalogue code when Signet answered, else a network failure. */
export interface Problem {
  code: string;
  detail: string;
  status: number;
}

export function problemOf(error: unknown): Problem {
  if (error instanceof SignetApiError) {
    return { code: error.code ?? `HTTP_${error.status}`, detail: error.detail, status: error.status };
  }
  return { code: 'NETWORK', detail: error instanceof Error ? error.message : String(error), status: 0 };
}
