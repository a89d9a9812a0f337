import type { FastifyInstance } from 'fastify';
import type { AuthnRequest } from '../../../src/identity/saml/index.ts';
import { CookieJar } from '../../support/cookieJar.ts';

/*
 * What a browser carries between Signet and the IdP in tests: the AuthnRequest a 302 points at
 * (for pysaml2 to answer), and the IdP's answer form-posted to Signet's ACS — with the cookies
 * of the browser that posts it, as the round trip is bound to the browser that started it.
 */

/** The Redirect-binding AuthnRequest a start URL's Location carries, as pysaml2Idp.ts takes it. */
export function redirectRequest(location: string): AuthnRequest {
  return { binding: 'redirect', url: location, id: '', issueInstant: new Date(), xml: '' };
}

export interface AcsAnswer {
  status: number;
  /** Where the ACS sends the browser (staff sign-in), if anywhere. */
  location: string | undefined;
  page: string;
  /** The outcome code the page shows as its reference. */
  code: string | undefined;
}

/**
 * `browser`'s POST of the answer to the ACS (SAML bindings §3.5.4); by default a browser with no
 * cookies, which is not the one that started any round trip.
 */
export async function postToAcs(
  app: FastifyInstance,
  organizationId: string,
  samlResponse: string,
  options: { browser?: CookieJar; relayState?: string } = {},
): Promise<AcsAnswer> {
  const { browser = new CookieJar(), relayState = 'ignored' } = options;
  const response = await browser.inject(app, {
    method: 'POST',
    url: `/saml/${organizationId}/acs`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: relayState }).toString(),
  });
  return {
    status: response.statusCode,
    location: response.headers.location ? String(response.headers.location) : undefined,
    page: response.body,
    code: /Reference: ([A-Z0-9_]+)/.exec(response.body)?.[1],
  };
}
