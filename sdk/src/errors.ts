import type { FieldProblem, Problem, ProblemCode } from './types.js';

/**
 * An answer other than 2xx. Signet answers every error with RFC 9457 problem+json; its fields
 * are here, typed: `code` is stable (the catalogue), `errors` names every invalid input by its
 * JSON pointer. An answer that is not problem+json (a proxy's error page) keeps `code`
 * undefined and its status.
 */
export class SignetApiError extends Error {
  override readonly name = 'SignetApiError';
  readonly status: number;
  readonly code: ProblemCode | undefined;
  readonly detail: string;
  readonly errors: FieldProblem[];
  readonly requestId: string | undefined;
  /** The problem as received, when the answer was one. */
  readonly problem: Problem | undefined;
  /** Seconds the server asked to wait before retrying (`Retry-After` of a 429 or a 409). */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, problem: Problem | undefined, retryAfterSeconds?: number) {
    const detail = problem?.detail ?? `HTTP ${status}`;
    super(problem ? `${problem.code}: ${detail}` : `Signet answered HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.code = problem?.code;
    this.detail = detail;
    this.errors = problem?.errors ?? [];
    this.requestId = problem?.requestId;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The error an answer stands for, given its body as read (parsed when it was JSON). */
  static fromAnswer(response: Response, body: unknown): SignetApiError {
    const problem = isProblem(body) ? body : undefined;
    return new SignetApiError(response.status, problem, retryAfterOf(response));
  }
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) return false;
  const candidate = body as Record<string, unknown>;
  return (
    typeof candidate.code === 'string' &&
    typeof candidate.status === 'number' &&
    typeof candidate.detail === 'string'
  );
}

/** `Retry-After` in seconds (RFC 9110 §10.2.3: delay-seconds or an HTTP date). */
export function retryAfterOf(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
