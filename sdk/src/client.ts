import createClient, { type Client, type FetchResponse, type MaybeOptionalInit } from 'openapi-fetch';
import type { HttpMethod, PathsWithMethod, RequiredKeysOf } from 'openapi-typescript-helpers';
import { retryAfterOf, SignetApiError } from './errors.js';
import type { paths } from './schema.js';
import type { Envelope, EnvelopeDraftInput } from './types.js';

/*
 * The Signet client: openapi-fetch over the generated `paths`, with what every integrator
 * writes next — errors thrown as SignetApiError, multipart upload with an Idempotency-Key and
 * one bounded retry, pagination and downloads as bytes.
 */

export type SignetClientOptions = {
  /** Where Signet answers, e.g. `https://sign.example.com` (its PUBLIC_URL). */
  baseUrl: string;
  /** A fetch to use instead of the global one (a proxy agent, a test double of the network). */
  fetch?: typeof globalThis.fetch;
  /**
   * The longest `Retry-After` (seconds) the helpers that retry will wait out; a longer one is
   * thrown to the caller at once (default 30).
   */
  maxRetryWaitSeconds?: number;
} & (
  | { /** An API key (`sk_…`). */ apiKey: string; sessionToken?: never }
  | { /** A staff session token (`ss_…`). */ sessionToken: string; apiKey?: never }
  | { /** The signer API and the public routes need neither. */ apiKey?: never; sessionToken?: never }
);

/** openapi-fetch's own rule: the init argument is optional when nothing in it is required. */
type InitParam<Init> =
  RequiredKeysOf<Init> extends never
    ? [(Init & { [key: string]: unknown })?]
    : [Init & { [key: string]: unknown }];

/** What a route answers on success (2xx), as the generated types describe it. */
export type Answer<Path extends keyof paths, Method extends HttpMethod, Init = object> = Exclude<
  FetchResponse<NonNullable<paths[Path][Method]>, Init, 'application/json'>['data'],
  undefined
>;

/**
 * A typed call that resolves to the success answer and throws SignetApiError otherwise; its
 * arguments are openapi-fetch's (`{ params: { path, query, header }, body, parseAs }`).
 */
export type SignetCall<Method extends HttpMethod> = <
  Path extends PathsWithMethod<paths, Method>,
  Init extends MaybeOptionalInit<paths[Path], Method>,
>(
  url: Path,
  ...init: InitParam<Init>
) => Promise<Answer<Path, Method, Init>>;

/** The routes that answer a page `{ data: [...], nextCursor }`. */
export type ListPath = {
  [Path in PathsWithMethod<paths, 'get'>]: Answer<Path, 'get'> extends {
    data: unknown[];
    nextCursor: string | null;
  }
    ? Path
    : never;
}[PathsWithMethod<paths, 'get'>];

/** One item of a list route's pages. */
export type ListItem<Path extends ListPath> =
  Answer<Path, 'get'> extends { data: (infer Item)[] } ? Item : never;

type GetParameters<Path extends ListPath> = paths[Path]['get']['parameters'];
/** A list route's parameters, but `cursor`, which `paginate` sets. */
export type ListParams<Path extends ListPath> = Omit<GetParameters<Path>, 'query'> & {
  query?: Omit<NonNullable<GetParameters<Path>['query']>, 'cursor'>;
};

/** A PDF for `createEnvelope`: its file name and its bytes. */
export interface EnvelopeDocument {
  name: string;
  bytes: Uint8Array | Blob;
}

export interface CreateEnvelopeOptions {
  /** Send at once (`?send=true`); a draft otherwise. */
  send?: boolean;
  /**
   * The operation's Idempotency-Key; one is made (a random UUID) when absent. Give your own to
   * make retries across processes safe: the same key and the same request within 24 hours
   * replays the first answer instead of creating a second envelope.
   */
  idempotencyKey?: string;
}

export interface SignetClient {
  /** The generated openapi-fetch client itself: `{ data, error, response }`, never throws for an answer. */
  api: Client<paths, 'application/json'>;
  get: SignetCall<'get'>;
  post: SignetCall<'post'>;
  put: SignetCall<'put'>;
  patch: SignetCall<'patch'>;
  delete: SignetCall<'delete'>;
  /**
   * Creates an envelope from PDFs (multipart: the `envelope` part as typed JSON, each PDF a
   * file part, in order). Retries once after a network error, a 429 or a 409 (the key's first
   * attempt still running), waiting out `Retry-After` up to `maxRetryWaitSeconds`: the same
   * Idempotency-Key makes that retry safe.
   */
  createEnvelope(
    input: EnvelopeDraftInput,
    documents: readonly EnvelopeDocument[],
    options?: CreateEnvelopeOptions,
  ): Promise<Envelope>;
  /** Every item of a list route, page after page (`?cursor=` from each page's `nextCursor`). */
  paginate<Path extends ListPath>(
    path: Path,
    ...params: RequiredKeysOf<ListParams<Path>> extends never ? [ListParams<Path>?] : [ListParams<Path>]
  ): AsyncGenerator<ListItem<Path>, void, undefined>;
  /** The sealed PDF of a completed envelope. */
  downloadSealedPdf(envelopeId: string): Promise<Uint8Array>;
  /** An original document of an envelope. */
  downloadDocument(envelopeId: string, documentId: string): Promise<Uint8Array>;
  /** The certificate of completion (PDF). */
  downloadCertificate(envelopeId: string): Promise<Uint8Array>;
  /** A document as the signer of `token` sees it. */
  downloadSigningDocument(token: string, documentId: string): Promise<Uint8Array>;
  /** The sealed PDF, by a signer's link, once the envelope is completed. */
  downloadSignedPdf(token: string): Promise<Uint8Array>;
}

type AnyResult = { data?: unknown; error?: unknown; response: Response };
type AnyRequest = (method: HttpMethod, url: string, init?: Record<string, unknown>) => Promise<AnyResult>;

const DEFAULT_MAX_RETRY_WAIT_SECONDS = 30;

export function createSignetClient(options: SignetClientOptions): SignetClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const credential = options.apiKey ?? options.sessionToken;
  const api = createClient<paths, 'application/json'>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    fetch: (request) => fetchImpl(request),
    headers: credential ? { authorization: `Bearer ${credential}` } : {},
  });
  const maxRetryWaitSeconds = options.maxRetryWaitSeconds ?? DEFAULT_MAX_RETRY_WAIT_SECONDS;
  // One untyped door to openapi-fetch for the wrappers below; their own signatures carry the types.
  const request = api.request as unknown as AnyRequest;

  const answerOf = (result: AnyResult): unknown => {
    if (!result.response.ok) throw SignetApiError.fromAnswer(result.response, result.error);
    return result.data;
  };
  const call = <Method extends HttpMethod>(method: Method): SignetCall<Method> =>
    (async (url: string, init?: Record<string, unknown>) =>
      answerOf(await request(method, url, init))) as unknown as SignetCall<Method>;
  const get = call('get');

  const bytes = async (url: string, path: Record<string, string>): Promise<Uint8Array> => {
    const result = await request('get', url, { params: { path }, parseAs: 'arrayBuffer' });
    return new Uint8Array(answerOf(result) as ArrayBuffer);
  };

  async function* paginate<Path extends ListPath>(
    path: Path,
    params?: ListParams<Path>,
  ): AsyncGenerator<ListItem<Path>, void, undefined> {
    let cursor: string | undefined;
    do {
      const query = { ...(params?.query ?? {}), ...(cursor === undefined ? {} : { cursor }) };
      const page = answerOf(await request('get', path, { params: { ...params, query } })) as {
        data: ListItem<Path>[];
        nextCursor: string | null;
      };
      yield* page.data;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  return {
    api,
    get,
    post: call('post'),
    put: call('put'),
    patch: call('patch'),
    delete: call('delete'),

    async createEnvelope(input, documents, createOptions = {}) {
      const idempotencyKey = createOptions.idempotencyKey ?? globalThis.crypto.randomUUID();
      const form = envelopeForm(input, documents);
      const attempt = () =>
        api.POST('/api/v1/envelopes', {
          params: {
            query: createOptions.send ? { send: 'true' } : {},
            header: { 'idempotency-key': idempotencyKey },
          },
          body: { envelope: input, file: [] },
          // The typed body above documents the parts; the form holds them, files included.
          bodySerializer: () => form,
        });
      const result = await withOneRetry(attempt, maxRetryWaitSeconds);
      return answerOf(result) as Envelope;
    },

    paginate,

    downloadSealedPdf: (id) => bytes('/api/v1/envelopes/{id}/download', { id }),
    downloadDocument: (id, documentId) =>
      bytes('/api/v1/envelopes/{id}/documents/{documentId}', { id, documentId }),
    downloadCertificate: (id) => bytes('/api/v1/envelopes/{id}/certificate', { id }),
    downloadSigningDocument: (token, documentId) =>
      bytes('/api/v1/signing/{token}/documents/{documentId}', { token, documentId }),
    downloadSignedPdf: (token) => bytes('/api/v1/signing/{token}/download', { token }),
  };
}

/** The multipart body: the `envelope` part first, as typed JSON, then each PDF as a file part. */
function envelopeForm(input: EnvelopeDraftInput, documents: readonly EnvelopeDocument[]): FormData {
  const form = new FormData();
  form.append('envelope', new Blob([JSON.stringify(input)], { type: 'application/json' }), 'envelope.json');
  for (const document of documents) {
    const blob =
      document.bytes instanceof Blob
        ? document.bytes
        : // A copy: a Uint8Array over a SharedArrayBuffer is no BlobPart.
          new Blob([new Uint8Array(document.bytes)], { type: 'application/pdf' });
    form.append('file', blob, document.name);
  }
  return form;
}

/**
 * Runs `attempt`, and once more after a network error, a 429 or a 409 IDEMPOTENCY_KEY_IN_USE
 * (the key's first attempt still runs), waiting the answer's `Retry-After` (1 s when absent)
 * unless it is longer than `maxWaitSeconds`. Only safe for requests that carry an Idempotency-Key.
 */
async function withOneRetry<Result extends AnyResult>(
  attempt: () => Promise<Result>,
  maxWaitSeconds: number,
): Promise<Result> {
  let first: Result;
  try {
    first = await attempt();
  } catch (error) {
    if (isAbort(error)) throw error;
    return attempt();
  }
  if (!isWorthRetrying(first)) return first;
  const wait = retryAfterOf(first.response) ?? 1;
  if (wait > maxWaitSeconds) return first;
  await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  return attempt();
}

function isWorthRetrying(result: AnyResult): boolean {
  const { status } = result.response;
  if (status === 429) return true;
  const code = (result.error as { code?: unknown } | undefined)?.code;
  return status === 409 && code === 'IDEMPOTENCY_KEY_IN_USE';
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
