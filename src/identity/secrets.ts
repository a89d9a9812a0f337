import { randomInt } from 'node:crypto';
import { hashPassword, verifyPassword } from '../orgs/passwords.ts';

/*
 * Access codes and one-time codes are short, so they are stored only as slow salted hashes —
 * the same scrypt as passwords (orgs/passwords.ts) — and compared in constant time. Attempt
 * limits, not hashing, are what stop guessing; the hash keeps a database reader from learning
 * the codes.
 */

export const hashSecret = (secret: string) => hashPassword(normalize(secret));
export const secretMatches = (secret: string, stored: string) => verifyPassword(normalize(secret), stored);

/** What a person types: case, surrounding spaces and inner spaces or dashes ("123 456") do not count. */
function normalize(secret: string): string {
  return secret
    .normalize('NFKC')
    .replace(/[\s-]+/g, '')
    .toUpperCase();
}

export const ONE_TIME_CODE_DIGITS = 6;

/** Six digits, each from the CSPRNG (crypto.randomInt draws without modulo bias). */
export function generateOneTimeCode(): string {
  return randomInt(0, 10 ** ONE_TIME_CODE_DIGITS)
    .toString()
    .padStart(ONE_TIME_CODE_DIGITS, '0');
}
