import { createSignetClient, type SignetClient } from '@signet/sdk';

/*
 * The web app talks to Signet only through the typed SDK, like any integrator. A signed-in
 * person's session lives in an HttpOnly cookie the script never sees; state-changing requests
 * carry the CSRF token from the readable `signet_csrf` cookie as `X-CSRF-Token`, which a page
 * on another site cannot read, so it cannot forge one.
 */

export const CSRF_COOKIE = 'signet_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

export function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** fetch with the session cookie and, on state-changing requests, the CSRF token. */
export const sessionFetch: typeof fetch = (input, init) => {
  const request = new Request(input, { ...init, credentials: 'same-origin' });
  if (!SAFE_METHODS.has(request.method.toUpperCase())) {
    const token = readCookie(CSRF_COOKIE);
    if (token) request.headers.set(CSRF_HEADER, token);
  }
  return fetch(request);
};

let client: SignetClient | undefined;

/** The one SDK client of this page, on the origin the page came from. */
export function signet(): SignetClient {
  client ??= createSignetClient({ baseUrl: window.location.origin, fetch: sessionFetch });
  return client;
}
