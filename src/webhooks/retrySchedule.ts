/*
 * When a failed delivery is tried again, and when an endpoint has failed long enough. Pure.
 */

/** A message is retried for three days after it was made (or replayed). */
export const RETRY_WINDOW_SECONDS = 3 * 86_400;

/** An endpoint whose attempts have all failed for five days is disabled and its owner told. */
export const DISABLE_AFTER_FAILING_SECONDS = 5 * 86_400;

const FIRST_DELAY_SECONDS = 5;
const GROWTH = 4;
const MAX_DELAY_SECONDS = 8 * 3600;

/**
 * Seconds until the next attempt after attempt `failedAttempt` (1 = the first) failed with
 * `remainingSeconds` left in the retry window; null when none is left. The ceiling grows
 * exponentially (5 s, 20 s, 80 s, 5 min, 21 min, 85 min, 5.7 h, then 8 h) and the delay is
 * drawn between half the ceiling and all of it ("equal jitter"), so endpoints that failed
 * together are not all tried again at the same moment. The last attempt falls at the end of
 * the window rather than beyond it.
 */
export function nextRetryDelay(
  failedAttempt: number,
  remainingSeconds: number,
  random: () => number = Math.random,
): number | null {
  if (remainingSeconds < 1) return null;
  const ceiling = Math.min(FIRST_DELAY_SECONDS * GROWTH ** Math.max(0, failedAttempt - 1), MAX_DELAY_SECONDS);
  const delay = ceiling / 2 + (ceiling / 2) * random();
  return Math.min(delay, remainingSeconds);
}
