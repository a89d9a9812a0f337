import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import {
  createJsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERROR_CATALOGUE } from '../errorCatalogue.ts';
import { type FieldProblem, SignetError } from '../errors.ts';
import { idempotencyKeyHeader } from './idempotency.ts';
import { findUnstorableText, problemsOfZodIssues } from './parseInput.ts';

/*
 * One contract (SPEC §H): every route declares its params, query, headers, body and answers as
 * zod schemas. Fastify validates requests with them (fastify-type-provider-zod), serialises
 * answers through them (so nothing undocumented leaves), and @fastify/swagger turns the same
 * schemas into the OpenAPI 3.1 document at /api/v1/openapi.json that the SDK is generated from.
 *
 * Why zod (through fastify-type-provider-zod) rather than TypeBox: the domain already parses
 * with zod (config, envelope input, identity methods), zod 4 emits JSON Schema 2020-12 itself,
 * and keeping one schema language means the OpenAPI document cannot drift from the parsing.
 */

/** RFC 9457 problem details as Signet sends them; every error answer has this shape. */
export const fieldProblemSchema = z
  .object({
    path: z
      .string()
      .describe('JSON pointer (RFC 6901) into the part named by `in`, e.g. `/recipients/0/email`'),
    in: z
      .enum(['body', 'query', 'path', 'header'])
      .optional()
      .describe('Which part of the request; body when absent'),
    message: z.string(),
  })
  .meta({ id: 'FieldProblem' });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z
      .enum(Object.keys(ERROR_CATALOGUE) as [string, ...string[]])
      .describe('Stable error code: see the catalogue'),
    errors: z.array(fieldProblemSchema).optional(),
    requestId: z.string().optional(),
  })
  .meta({
    id: 'Problem',
    description:
      'RFC 9457 problem details. `code` is stable; `errors` lists every invalid input with its path.',
  });

/** The error answers every route may give, by status class. */
export const errorAnswers = {
  '4xx': problemSchema,
  '5xx': problemSchema,
} as const;

/** Bytes, documented as OpenAPI's binary string. */
export const binary = z.custom<Uint8Array | string>().meta({ type: 'string', format: 'binary' });

/** An answer that is a file, not JSON (documents, certificates, CRLs, OCSP and TSA answers). */
export function binaryAnswer(contentType: string, description: string) {
  return {
    description,
    content: { [contentType]: { schema: binary } },
  };
}

/** An HTML page for a browser (signing page, outcome pages). */
export const htmlAnswer = (description: string) => binaryAnswer('text/html', description);

/** A redirect: no body, the target in `Location`. */
export const redirectAnswer = (description: string) => z.null().describe(`${description} (see Location)`);

/** `{ id }` in a path, as a UUID. Another organisation's id and a malformed one are both 404s. */
export const uuid = () => z.string().describe('UUID');

const documentationOnly = new WeakMap<object, Record<string, { contentType: string }>>();

/**
 * Marks a schema that documents a body Fastify does not parse (multipart, streamed by the
 * handler, which validates the parts itself), so it appears in OpenAPI but is not applied;
 * `encoding` says which multipart parts are JSON (OpenAPI's Encoding Object).
 */
export function documentedOnly<Schema extends z.ZodType>(
  schema: Schema,
  encoding: Record<string, { contentType: string }> = {},
): Schema {
  documentationOnly.set(schema, encoding);
  return schema;
}

/** Where a request part's problems are reported (`in` of a FieldProblem). */
const PART_NAMES = { params: 'path', querystring: 'query', headers: 'header', body: 'body' } as const;

/**
 * Every problem in a request, all parts together: Fastify stops at the first part that fails,
 * so a request refused for its query would hide its body's mistakes. Run only after a failure.
 */
export function requestProblems(request: FastifyRequest): FieldProblem[] {
  const schema = request.routeOptions.schema as FastifySchema | undefined;
  if (!schema) return [];
  const parts = {
    params: [schema.params, request.params],
    querystring: [schema.querystring, request.query],
    headers: [schema.headers, request.headers],
    body: [bodySchemaFor(schema, request), request.body],
  } as const;
  const problems: FieldProblem[] = [];
  for (const [part, [partSchema, value]] of Object.entries(parts)) {
    if (!(partSchema instanceof z.ZodType) || documentationOnly.has(partSchema)) continue;
    const where = PART_NAMES[part as keyof typeof PART_NAMES];
    const tag = (found: FieldProblem[]) => found.map((p) => (where === 'body' ? p : { ...p, in: where }));
    const result = partSchema.safeParse(value);
    if (!result.success) problems.push(...tag(problemsOfZodIssues(result.error.issues)));
    else problems.push(...tag(findUnstorableText(value)));
  }
  return problems;
}

function bodySchemaFor(schema: FastifySchema, request: FastifyRequest): unknown {
  const body = schema.body as { content?: Record<string, { schema: unknown }> } | undefined;
  if (!body?.content) return body;
  const mediaType =
    String(request.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim() ?? '';
  return body.content[mediaType]?.schema;
}

/** A request refused by its schema: every problem, in one 400. */
export function validationFailure(request: FastifyRequest): SignetError {
  const problems = requestProblems(request);
  const onlyText = problems.length > 0 && problems.every((p) => p.message === UNSTORABLE_MESSAGE);
  return new SignetError(
    onlyText ? 'TEXT_INVALID' : 'VALIDATION_FAILED',
    onlyText ? 'Some text cannot be stored; see `errors`' : 'The request has invalid fields; see `errors`',
    problems,
  );
}

export const UNSTORABLE_MESSAGE = 'contains a NUL character or an unpaired surrogate';

/**
 * Registers the schema compilers and the OpenAPI document. Routes registered after this carry
 * their schemas into `/api/v1/openapi.json`; `/api/docs` serves Swagger UI from the package
 * (no CDN: the page must work on a machine without internet and under our CSP).
 */
export async function registerContract(app: FastifyInstance, info: { version: string; publicUrl: string }) {
  app.setValidatorCompiler((route) => {
    if (documentationOnly.has(route.schema as object)) return () => true;
    const validate = validatorCompiler(route as Parameters<typeof validatorCompiler>[0]);
    // Text that PostgreSQL cannot store (NUL, lone surrogates) is refused like any invalid field.
    return (data: unknown) => {
      const result = validate(data) as { value?: unknown; error?: Error };
      if (result.error) return result;
      const unstorable = findUnstorableText(data);
      return unstorable.length > 0 ? { error: new Error(UNSTORABLE_MESSAGE) } : result;
    };
  });
  app.setSerializerCompiler(serializerCompiler);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Signet API',
        version: info.version,
        description:
          'Send documents for signature, follow their progress and fetch the sealed result. ' +
          'Errors are RFC 9457 problem+json with a stable `code`: every code, its status and meaning are at `GET /api/v1/errors`. ' +
          'POSTs take an `Idempotency-Key`; answers carry `RateLimit` and `RateLimit-Policy` headers.',
      },
      // The order a reader needs them in: sending, signing, integrating, administering, then plumbing.
      tags: [
        { name: 'envelopes', description: 'Send documents for signature and follow them' },
        { name: 'signing', description: 'What a recipient does through their signing link (no API key)' },
        { name: 'webhooks', description: 'Signed notifications of every envelope and recipient change' },
        { name: 'verify', description: 'Check any signed PDF' },
        { name: 'organization', description: 'Organisation settings' },
        {
          name: 'identity-providers',
          description: 'SAML and OpenID Connect providers for signer checks and staff sign-in',
        },
        { name: 'auth', description: 'Staff sign-in: sessions for the web app' },
        { name: 'users', description: 'The organisation’s people: invitations, roles, deactivation' },
        { name: 'api-keys', description: 'API keys: scoped, shown once, revocable' },
        { name: 'outbox', description: 'Mail and text messages sent for the organisation' },
        { name: 'service', description: 'About the API itself' },
        { name: 'pki', description: 'What Signet’s CA publishes for relying parties' },
        { name: 'browser', description: 'Pages and redirects a browser visits' },
        { name: 'operations', description: 'Health and readiness' },
      ],
      servers: [{ url: info.publicUrl }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key (`sgk_…`) or a staff session token (`sgs_…`)',
          },
          sessionCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'signet_session',
            description:
              'A browser session (sign-in with `?session=cookie`), used when no Authorization header is sent. Every request but GET, HEAD and OPTIONS must also send the `signet_csrf` cookie’s value as the `X-CSRF-Token` header (else 403 CSRF_TOKEN_INVALID), from PUBLIC_URL’s origin (else 403 ORIGIN_NOT_ALLOWED).',
          },
        },
      },
    },
    transform: documentTransform,
    transformObject: (document) =>
      withoutUnusedComponents(jsonSchemaTransformObject(document) as OpenApiDocument) as ReturnType<
        typeof jsonSchemaTransformObject
      >,
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    uiConfig: { url: '/api/v1/openapi.json', deepLinking: true, validatorUrl: null },
    // Everything the page loads comes from this server (the package's own files): no CDN, no
    // validator badge fetched from swagger.io, never framed.
    staticCSP:
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
  });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/errors',
    {
      schema: {
        tags: ['service'],
        summary: 'The error catalogue: every code, its HTTP status and what it means',
        response: {
          200: z
            .array(z.object({ code: z.string(), status: z.number().int(), meaning: z.string() }))
            .meta({ id: 'ErrorCatalogue' }),
          ...errorAnswers,
        },
      },
    },
    async () => Object.entries(ERROR_CATALOGUE).map(([code, entry]) => ({ code, ...entry })),
  );
}

/**
 * zod-to-OpenAPI registers every named schema twice, as read (input) and as written (output);
 * only the ones an operation reaches are kept, so the SDK does not carry `EnvelopeInput` twins
 * of answers nobody sends.
 */
interface OpenApiDocument {
  components?: { schemas?: Record<string, unknown> };
}

function withoutUnusedComponents(document: OpenApiDocument): OpenApiDocument {
  const schemas = document.components?.schemas;
  if (!schemas) return document;
  const used = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/components/schemas/')) {
        const name = inner.slice('#/components/schemas/'.length);
        if (!used.has(name)) {
          used.add(name);
          visit(schemas[name]);
        }
      } else visit(inner);
    }
  };
  visit({ ...document, components: { ...document.components, schemas: {} } });
  return {
    ...document,
    components: {
      ...document.components,
      schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))),
    },
  };
}

const zodTransform = createJsonSchemaTransform({
  skipList: [],
  zodToJsonConfig: { unrepresentable: 'any' },
});

/** Adds what OpenAPI needs beyond the schemas: the security requirement of scoped routes, tags, body media types. */
function documentTransform(input: Parameters<typeof zodTransform>[0]) {
  const { schema, url, route } = input as typeof input & {
    route: { method?: string | string[]; config?: { scope?: string } };
  };
  if (url.startsWith('/api/docs')) return { schema: { ...schema, hide: true }, url };
  const body = (schema as FastifySchema | undefined)?.body as
    | { content?: Record<string, { schema: z.ZodType }> }
    | undefined;
  const withoutBody = body?.content ? { ...schema, body: undefined } : schema;
  const transformed = zodTransform({ ...input, schema: withoutBody } as typeof input);
  // A route with no schema yet (/healthz) has nothing to add to.
  if (!transformed.schema) return transformed;
  const out = transformed.schema as Record<string, unknown>;
  if (body?.content) {
    out.body = {
      content: Object.fromEntries(
        Object.entries(body.content).map(([mediaType, { schema: part }]) => [
          mediaType,
          {
            // Through the same transform as every other schema, so named parts become component $refs.
            schema: (
              zodTransform({ ...input, schema: { body: part } } as typeof input).schema as { body: unknown }
            ).body,
            ...(Object.keys(documentationOnly.get(part) ?? {}).length > 0
              ? { encoding: documentationOnly.get(part) }
              : {}),
          },
        ]),
      ),
    };
  }
  const scope = route?.config?.scope;
  if (scope) {
    out.security = [{ bearer: [] }, { sessionCookie: [] }];
    out.description = [out.description, `Needs the \`${scope}\` scope.`].filter(Boolean).join('\n\n');
    // Every POST an API key or a session makes takes an Idempotency-Key (http/idempotency.ts).
    if ([route.method].flat().includes('POST')) out.headers = withIdempotencyKey(out.headers);
  }
  out.tags ??= [tagOf(url)];
  return { schema: out, url };
}

function withIdempotencyKey(headers: unknown): Record<string, unknown> {
  const object = (headers ?? { type: 'object', properties: {} }) as { properties?: Record<string, unknown> };
  return { ...object, properties: { ...object.properties, 'idempotency-key': idempotencyKeyHeader } };
}

function tagOf(url: string): string {
  const match = /^\/api\/v1\/([^/]+)/.exec(url);
  if (match?.[1]) return match[1];
  return url.split('/')[1] || 'service';
}
