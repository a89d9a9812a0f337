/**
 * Errors are values with a stable machine `code`, an HTTP `status` and a human `detail`.
 * The HTTP layer turns them into RFC 9457 problem+json; the CLI prints `code: detail`.
 */
export interface FieldProblem {
  /** JSON-pointer-like path of the offending input, e.g. `recipients.0.email`. */
  path: string;
  message: string;
}

export class SignetError extends Error {
  readonly code: string;
  readonly status: number;
  readonly detail: string;
  readonly errors: FieldProblem[];

  constructor(code: string, status: number, detail: string, errors: FieldProblem[] = []) {
    super(`${code}: ${detail}`);
    this.name = 'SignetError';
    this.code = code;
    this.status = status;
    this.detail = detail;
    this.errors = errors;
  }
}

export const badRequest = (code: string, detail: string, errors: FieldProblem[] = []) =>
  new SignetError(code, 400, detail, errors);
export const notFound = (code: string, detail: string) => new SignetError(code, 404, detail);
export const conflict = (code: string, detail: string) => new SignetError(code, 409, detail);
