import { ERROR_CATALOGUE, type ErrorCode } from './errorCatalogue.ts';

export type { ErrorCode } from './errorCatalogue.ts';

/**
 * Errors are values with a stable machine `code` and a human `detail`. Domain code throws them
 * without choosing an HTTP status: the status comes from the code's entry in `errorCatalogue.ts`.
 * The HTTP layer turns them into RFC 9457 problem+json; the CLI prints `code: detail`.
 */
export interface FieldProblem {
  /** JSON pointer (RFC 6901) to the offending input, e.g. `/recipients/0/email`; `''` is the whole part. */
  path: string;
  /** Which part of the request the pointer is into; the body when absent. */
  in?: 'body' | 'query' | 'path' | 'header';
  message: string;
}

/** A JSON pointer (RFC 6901) from path segments: `pointer('recipients', 0, 'email')` → `/recipients/0/email`. */
export const pointer = (...segments: (string | number)[]) =>
  segments.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

export class SignetError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors: FieldProblem[];

  constructor(code: ErrorCode, detail: string, errors: FieldProblem[] = []) {
    super(`${code}: ${detail}`);
    this.name = 'SignetError';
    this.code = code;
    this.detail = detail;
    this.errors = errors;
  }

  /** The HTTP status the catalogue gives this code. */
  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}
