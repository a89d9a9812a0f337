import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ApiResponse } from './apiClient.ts';
import { CookieJar } from './cookieJar.ts';

/*
 * A staff member's browser for API tests: signs in with `?session=cookie` and then calls the API
 * as the web app does (web/src/shared/api.ts) — the session cookie sent by the jar, and on every
 * state-changing request the `signet_csrf` cookie's value as X-CSRF-Token, from PUBLIC_URL's
 * origin. Each call can leave the header out or change the Origin, to play the attacker's page.
 */

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface BrowserCallOptions {
  /** false: no X-CSRF-Token; a string: that value instead of the cookie's. */
  csrf?: boolean | string;
  /** The Origin header the browser sends; undefined sends none (as a same-origin GET). */
  origin?: string;
  headers?: Record<string, string>;
}

export class BrowserSession {
  /**
   * Each browser is its own person at their own address, so the per-address limits on sign-in
   * (20 a minute) count each one apart, as they would in an office of many people.
   */
  readonly remoteAddress = `10.${randomInt(256)}.${randomInt(256)}.${1 + randomInt(254)}`;

  constructor(
    readonly app: FastifyInstance,
    readonly jar: CookieJar,
    /** PUBLIC_URL's origin: what the app's own pages send as Origin. */
    readonly origin: string,
  ) {}

  async call<T = Record<string, unknown>>(
    method: Method,
    url: string,
    payload?: unknown,
    options: BrowserCallOptions = {},
  ): Promise<ApiResponse<T>> {
    const safe = method === 'GET';
    const csrf =
      options.csrf === false
        ? undefined
        : typeof options.csrf === 'string'
          ? options.csrf
          : safe
            ? undefined
            : this.jar.value('signet_csrf');
    const origin = 'origin' in options ? options.origin : safe ? undefined : this.origin;
    const response = await this.jar.inject(this.app, {
      method,
      url,
      remoteAddress: this.remoteAddress,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      headers: {
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
        ...(origin ? { origin } : {}),
        ...options.headers,
      },
    });
    const raw = response.rawPayload;
    const type = String(response.headers['content-type'] ?? '');
    const body = (type.includes('json') && raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {}) as T;
    return { status: response.statusCode, body, headers: response.headers, raw };
  }

  get = <T = Record<string, unknown>>(url: string, options?: BrowserCallOptions) =>
    this.call<T>('GET', url, undefined, options);
  post = <T = Record<string, unknown>>(url: string, payload: unknown = {}, options?: BrowserCallOptions) =>
    this.call<T>('POST', url, payload, options);
  put = <T = Record<string, unknown>>(url: string, payload: unknown = {}, options?: BrowserCallOptions) =>
    this.call<T>('PUT', url, payload, options);
  patch = <T = Record<string, unknown>>(url: string, payload: unknown = {}, options?: BrowserCallOptions) =>
    this.call<T>('PATCH', url, payload, options);
  delete = <T = Record<string, unknown>>(url: string, options?: BrowserCallOptions) =>
    this.call<T>('DELETE', url, undefined, options);
}

/** Signs in with email and password in a fresh browser; fails the test unless it worked. */
export async function signInBrowser(
  app: FastifyInstance,
  publicUrl: string,
  email: string,
  password: string,
): Promise<BrowserSession> {
  const session = new BrowserSession(app, new CookieJar(), new URL(publicUrl).origin);
  const answer = await session.post<{ status: string }>('/api/v1/auth/sign-in?session=cookie', {
    email,
    password,
  });
  if (answer.status !== 200 || answer.body.status !== 'signed-in') {
    throw new Error(`sign-in of ${email} answered ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return session;
}
