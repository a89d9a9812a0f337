/*
 * The limits of the code-based checks, in one place (SPEC §E, issue 4): what a signer may try,
 * how often codes are sent, and when a check locks. Pure values, used by the services.
 */

/** Wrong access codes before the check locks; the sender unlocks it. */
export const ACCESS_CODE_MAX_FAILURES = 5;

/** A one-time code is valid this long after it is sent. */
export const ONE_TIME_CODE_TTL_MS = 10 * 60 * 1000;
/** Wrong entries of one code before that code is void (a new one must be sent). */
export const ONE_TIME_CODE_MAX_ATTEMPTS = 5;
/** Wrong entries over all codes before the check locks. */
export const ONE_TIME_CODE_MAX_FAILURES = 15;
/** A new code may be sent this long after the last one at the earliest. */
export const ONE_TIME_CODE_RESEND_INTERVAL_MS = 30 * 1000;
/** And at most this many codes per check. */
export const ONE_TIME_CODE_MAX_SENDS = 10;

export function secondsUntilResend(lastSentAt: Date | null, now: Date): number {
  if (!lastSentAt) return 0;
  const wait = lastSentAt.getTime() + ONE_TIME_CODE_RESEND_INTERVAL_MS - now.getTime();
  return wait > 0 ? Math.ceil(wait / 1000) : 0;
}
