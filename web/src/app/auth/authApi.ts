import { browserSupportsWebAuthn, startAuthentication } from '@simplewebauthn/browser';
import { signet } from '../../shared/api.ts';

/*
 * Staff sign-in from the browser, by the contract agreed for web sessions: each sign-in route
 * called with `?session=cookie` sets the HttpOnly session cookie and the readable CSRF cookie
 * and answers without the token; sign-out clears both.
 */

/** `?session=cookie`: the session goes into cookies, not into the answer. */
const COOKIE_SESSION = { session: 'cookie' } as const;

type SignInAnswer =
  | { status: 'signed-in'; expiresAt: string }
  | { status: 'second-factor-required'; challenge: string; expiresAt: string };

type UntypedCall = (
  url: string,
  init?: { params?: { query?: Record<string, string> }; body?: unknown },
) => Promise<unknown>;

/**
 * The SDK's call without the generated types: for the `session` query parameter, and for the
 * routes the accounts work adds, until sdk/src/schema.ts has them. The request is the same.
 */
const untypedPost = (url: string, init?: Parameters<UntypedCall>[1]) =>
  (signet().post as unknown as UntypedCall)(url, init);

// TODO(accounts): typed once POST /api/v1/auth/sign-in declares its `session` query parameter.
export const signInWithPasswordAndCookie = (email: string, password: string) =>
  untypedPost('/api/v1/auth/sign-in', {
    params: { query: COOKIE_SESSION },
    body: { email, password },
  }) as Promise<SignInAnswer>;

// TODO(accounts): typed once POST /api/v1/auth/second-factor declares its `session` query parameter.
export const finishSecondFactor = (challenge: string, answer: { code: string } | { recoveryCode: string }) =>
  untypedPost('/api/v1/auth/second-factor', {
    params: { query: COOKIE_SESSION },
    body: { challenge, ...answer },
  }) as Promise<SignInAnswer>;

export const passkeysSupported = () => browserSupportsWebAuthn();

/** Asks the browser for a passkey against Signet's options and signs in with it. */
export async function signInWithPasskey(): Promise<void> {
  const { challengeId, options } = await signet().post('/api/v1/auth/passkeys/sign-in-options');
  const response = await startAuthentication({
    optionsJSON: options as Parameters<typeof startAuthentication>[0]['optionsJSON'],
  });
  // TODO(accounts): typed once POST /api/v1/auth/passkeys/sign-in declares its `session` query parameter.
  await untypedPost('/api/v1/auth/passkeys/sign-in', {
    params: { query: COOKIE_SESSION },
    body: { challengeId, response },
  });
}

export const signOut = () => signet().post('/api/v1/auth/sign-out');

// TODO(accounts): typed once POST /api/v1/auth/password-reset is in the SDK.
export const requestPasswordReset = (email: string) =>
  untypedPost('/api/v1/auth/password-reset', { body: { email } });

// TODO(accounts): typed once POST /api/v1/auth/password-reset/complete is in the SDK.
export const completePasswordReset = (token: string, password: string) =>
  untypedPost('/api/v1/auth/password-reset/complete', { body: { token, password } });

// TODO(accounts): typed once POST /api/v1/auth/accept-invite is in the SDK.
export const acceptInvite = (token: string, password: string, name?: string) =>
  untypedPost('/api/v1/auth/accept-invite', {
    body: { token, password, ...(name ? { name } : {}) },
  });

/** A passkey prompt the person closed or that timed out: not an error worth more than a note. */
export const isPasskeyCancelled = (error: unknown) =>
  error instanceof Error && (error.name === 'NotAllowedError' || error.name === 'AbortError');
