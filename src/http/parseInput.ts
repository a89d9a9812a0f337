import type { z } from 'zod';
import { type ErrorCode, type FieldProblem, SignetError } from '../errors.ts';

// NUL cannot be stored in PostgreSQL text, and a lone UTF-16 surrogate is not a character at
// all (RFC 8785 canonical JSON, which the audit chain hashes, refuses it).
const UNPAIRED_SURROGATE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const UNSTORABLE_TEXT = new RegExp(`\\u0000|${UNPAIRED_SURROGATE}`);

/** Removes what `findUnstorableText` objects to, for input that is cleaned rather than refused (file names). */
export const withoutUnstorableText = (value: string) =>
  value.replace(new RegExp(`\\u0000|${UNPAIRED_SURROGATE}`, 'g'), '');

/** Every string (and object key) in untrusted input that cannot be stored as text, by path. */
export function findUnstorableText(value: unknown, path: string[] = []): FieldProblem[] {
  if (typeof value === 'string') {
    return UNSTORABLE_TEXT.test(value)
      ? [{ path: path.join('.') || '(body)', message: 'contains a NUL character or an unpaired surrogate' }]
      : [];
  }
  if (Array.isArray(value))
    return value.flatMap((item, index) => findUnstorableText(item, [...path, String(index)]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => [
      ...findUnstorableText(key, path),
      ...findUnstorableText(item, [...path, key]),
    ]);
  }
  return [];
}

export function assertStorableText(value: unknown): void {
  const problems = findUnstorableText(value);
  if (problems.length > 0) {
    throw new SignetError('TEXT_INVALID', 'Some text cannot be stored; see `errors`', problems);
  }
}

/** Parse, don't validate: untrusted input becomes a typed value here, or a 400 naming every bad field. */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  code: ErrorCode = 'VALIDATION_FAILED',
): z.infer<Schema> {
  assertStorableText(input);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new SignetError(
    code,
    'The request has invalid fields; see `errors`',
    result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(body)',
      message: issue.message,
    })),
  );
}
