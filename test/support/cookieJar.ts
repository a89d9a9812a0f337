import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';

/*
 * One browser's cookies for tests that drive Signet with app.inject(), which keeps none: what a
 * response sets is kept, and sent back on later requests whose path it covers (RFC 6265 §5.1.4),
 * until a response clears it (Max-Age=0, or an Expires in the past). SameSite and Secure are the
 * browser's policy, not modelled here: Chromium suites and the cookie's own tests cover them.
 */

interface Kept {
  name: string;
  value: string;
  path: string;
}

/** RFC 6265 §5.1.4: the cookie path is the request path, or a prefix of it ending at a '/'. */
function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export class CookieJar {
  private readonly kept = new Map<string, Kept>();

  /** A request through `app.inject` as this browser makes it: its cookies sent, those set kept. */
  async inject(
    app: FastifyInstance,
    options: InjectOptions & { url: string },
  ): Promise<LightMyRequestResponse> {
    const cookie = this.headerFor(options.url);
    const response = await app.inject({
      ...options,
      headers: { ...options.headers, ...(cookie ? { cookie } : {}) },
    });
    this.keep(response);
    return response;
  }

  /** The Cookie header this browser sends with a request to `url` (a path, or a full URL). */
  headerFor(url: string): string | undefined {
    const path = new URL(url, 'http://signet.test').pathname;
    const sent = [...this.kept.values()].filter((cookie) => pathMatches(cookie.path, path));
    return sent.length > 0 ? sent.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ') : undefined;
  }

  /** The value of a cookie this browser holds, by name. */
  value(name: string): string | undefined {
    return [...this.kept.values()].find((cookie) => cookie.name === name)?.value;
  }

  /** Another browser holding the same cookies (as one whose cookies were copied). */
  clone(): CookieJar {
    const copy = new CookieJar();
    for (const [key, cookie] of this.kept) copy.kept.set(key, { ...cookie });
    return copy;
  }

  private keep(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies) {
      const path = cookie.path ?? '/';
      const key = `${cookie.name}|${path}`;
      const expired =
        (cookie.maxAge !== undefined && cookie.maxAge <= 0) ||
        (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
      if (expired) this.kept.delete(key);
      else this.kept.set(key, { name: cookie.name, value: cookie.value, path });
    }
  }
}

/**
 * The round-trip cookie `set` (as app.inject saw it set) given to a Chromium context with
 * another `value`: the starting browser's own nonce, or a forged one.
 */
export function oidcRoundTripCookie(set: { name: string; path?: string }, signetUrl: string, value: string) {
  return {
    name: set.name,
    value,
    domain: new URL(signetUrl).hostname,
    path: set.path ?? '/',
    httpOnly: true,
    sameSite: 'Lax' as const,
  };
}
