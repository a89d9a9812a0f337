import type { z } from 'zod';
import { type ErrorCode, type FieldProblem, pointer, SignetError } from '../errors.ts';

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
      ? [{ path: pointer(...path), message: 'contains a NUL character or an unpaired surrogate' }]
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

/**
 * Zod's issues as field problems with JSON-pointer paths; an unknown property (a strict object's
 * `unrecognized_keys`) is reported at its own path, so a typo such as `rol` is named exactly.
 */
export function problemsOfZodIssues(issues: readonly z.core.$ZodIssue[]): FieldProblem[] {
  return issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: pointer(...at, key), message: 'unknown property' }));
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // The branch that got furthest says the most; nested paths are relative to this one.
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0] ?? [];
      return problemsOfZodIssues(best.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })));
    }
    return [{ path: pointer(...at), message: issue.message }];
  });
}

const depth = (issues: readonly z.core.$ZodIssue[]) => Math.max(0, ...issues.map((i) => i.path.length));

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
    problemsOfZodIssues(result.error.issues),
  );
}
