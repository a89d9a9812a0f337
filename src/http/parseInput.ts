import type { z } from 'zod';
import { badRequest } from '../errors.ts';

/** Parse, don't validate: untrusted input becomes a typed value here, or a 400 naming every bad field. */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  code = 'VALIDATION_FAILED',
): z.infer<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw badRequest(
    code,
    'The request has invalid fields; see `errors`',
    result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(body)',
      message: issue.message,
    })),
  );
}
