/*
 * The RateLimit-Policy and RateLimit response fields of draft-ietf-httpapi-ratelimit-headers
 * (-11), as RFC 9651 structured fields: each a List of Items whose value is the policy's name (a
 * String) with parameters —
 *   RateLimit-Policy (§3.1): q = quota (requests), w = window (seconds);
 *   RateLimit        (§4.1): r = quota still available, t = seconds until the window ends.
 * e.g. `RateLimit-Policy: "api";q=600;w=60` and `RateLimit: "api";r=599;t=42`. No partition
 * key (pk) is sent: it would echo client addresses or key ids, and the draft leaves it optional.
 */

export interface PolicyLimit {
  name: string;
  quota: number;
  windowSeconds: number;
}

export interface ServiceLimit {
  name: string;
  remaining: number;
  resetSeconds: number;
}

/** RFC 9651 §4.1.6: a String is printable ASCII in quotes, `"` and `\` escaped. */
export function structuredString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value))
    throw new Error(`not a structured-field string: ${JSON.stringify(value)}`);
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** RFC 9651 §4.1.4: an Integer has at most 15 digits; these are counts and seconds, never negative. */
function structuredInteger(value: number): string {
  const integer = Math.max(0, Math.floor(value));
  if (integer > 999_999_999_999_999) throw new Error(`integer out of range: ${value}`);
  return String(integer);
}

export function rateLimitPolicyField(policies: readonly PolicyLimit[]): string {
  return policies
    .map(
      (policy) =>
        `${structuredString(policy.name)};q=${structuredInteger(policy.quota)};w=${structuredInteger(Math.max(1, policy.windowSeconds))}`,
    )
    .join(', ');
}

export function rateLimitField(limits: readonly ServiceLimit[]): string {
  return limits
    .map(
      (limit) =>
        `${structuredString(limit.name)};r=${structuredInteger(limit.remaining)};t=${structuredInteger(limit.resetSeconds)}`,
    )
    .join(', ');
}
