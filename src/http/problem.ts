import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type FieldProblem, SignetError } from '../errors.ts';
import { validationFailure } from './contract.ts';

/** RFC 9457 problem details, with our stable `code` and every bad field in `errors`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldProblem[];
  requestId?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problemOf(error: SignetError, requestId?: string): Problem {
  return {
    type: `urn:signet:problem:${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    detail: error.detail,
    code: error.code,
    ...(error.errors.length > 0 ? { errors: error.errors } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

export function sendProblem(reply: FastifyReply, error: SignetError) {
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="signet"');
  return reply
    .status(error.status)
    .type('application/problem+json')
    .send(problemOf(error, String(reply.request.id)));
}

/** Maps Fastify's own errors (body too large, bad JSON, bad content type) onto stable codes. */
function fromFastifyError(error: FastifyError): SignetError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_FIELDS_LIMIT':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new SignetError('REQUEST_TOO_LARGE', 'The request is larger than this server accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new SignetError('UNSUPPORTED_MEDIA_TYPE', 'Send JSON (application/json) or multipart/form-data');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new SignetError('JSON_INVALID', 'The request body is not valid JSON');
    case 'FST_ERR_MAX_PARAM_LENGTH':
    case 'FST_ERR_BAD_URL':
      return new SignetError('URL_INVALID', 'The request URL cannot be used');
    default:
      break;
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    // Other 4xx statuses Fastify may choose are all malformed requests to a client.
    return new SignetError('BAD_REQUEST', error.message);
  }
  if (error instanceof SyntaxError)
    return new SignetError('JSON_INVALID', 'The request body is not valid JSON');
  return null;
}

export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  // A request its route's schema refused: every problem of every part, in one answer.
  if (error.validation || error.code === 'FST_ERR_VALIDATION')
    return sendProblem(reply, validationFailure(request));
  const known = error instanceof SignetError ? error : fromFastifyError(error);
  if (known && known.status < 500) return sendProblem(reply, known);
  request.log.error({ err: error }, 'request failed');
  // Internal details (paths, SQL) stay in the log; the client gets the request id to quote.
  const internal = known ?? new SignetError('INTERNAL_ERROR', 'Something went wrong on our side');
  return sendProblem(reply, new SignetError(internal.code, internal.detail));
}

export function handleNotFound(_request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(reply, new SignetError('ROUTE_NOT_FOUND', 'No such endpoint'));
}
