import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { apiClient, envelopeJson } from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/*
 * One contract (issue 15): the OpenAPI document is what an integrator and the SDK see, so it is
 * checked by an independent validator, against the routes the server really registered, and
 * against the examples the README shows.
 */

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
}

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** `/api/v1/envelopes/:id` as OpenAPI writes it: `/api/v1/envelopes/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\*$/, '{*}');

/** Curl commands in the README's shell blocks that send JSON: method, path, body. */
function readmeRequests(): { method: string; path: string; body: unknown; source: string }[] {
  const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const commands = blocks.flatMap((block) =>
    block
      .replace(/\\\n/g, ' ')
      .split(/\n(?=\S)/)
      .filter((line) => /\bcurl\b/.test(line)),
  );
  const found: { method: string; path: string; body: unknown; source: string }[] = [];
  for (const command of commands) {
    const url = /"\$\{?SIGNET_URL\}?(\/api\/v1\/[^"?]*)/.exec(command)?.[1];
    if (!url) continue;
    const data = /-d '(\{[\s\S]*?\})'/.exec(command)?.[1] ?? /--data '(\{[\s\S]*?\})'/.exec(command)?.[1];
    const envelopePart = /-F 'envelope=(\{[\s\S]*?\})'/.exec(command)?.[1];
    const explicit = /-X (GET|POST|PUT|PATCH|DELETE)/.exec(command)?.[1];
    const path = url.replace(/\$[A-Z_]+|\$\{[A-Z_]+\}/g, 'x');
    if (data) found.push({ method: explicit ?? 'POST', path, body: JSON.parse(data), source: command });
    if (envelopePart) {
      found.push({ method: 'POST', path, body: JSON.parse(envelopePart), source: command });
    }
  }
  return found;
}

/** The OpenAPI path template a concrete path matches. */
function templateOf(document: OpenApiDocument, path: string): string | undefined {
  return Object.keys(document.paths).find((template) => {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    return pattern.test(path);
  });
}

for (const kind of databaseKinds()) {
  describe(`the API contract on ${kind}`, () => {
    let signet: TestSignet;
    let document: OpenApiDocument;
    let apiKey: string;
    let scratch: string;

    before(async () => {
      signet = await startTestSignet(kind);
      apiKey = (await createTestOrganization(signet)).apiKey;
      const answer = await fetch(`${signet.url}/api/v1/openapi.json`);
      assert.equal(answer.status, 200);
      document = (await answer.json()) as OpenApiDocument;
      scratch = mkdtempSync(join(tmpdir(), 'signet-contract-'));
    });
    after(async () => {
      await signet?.stop();
      rmSync(scratch, { recursive: true, force: true });
    });

    it('is an OpenAPI 3.1 document an independent validator accepts', async () => {
      assert.equal(document.openapi, '3.1.0');
      const result = await new Validator().validate(document as never);
      assert.deepEqual(result, { valid: true });
    });

    it('describes every route the server registered, with its answers', () => {
      const routes = signet.app.registeredRoutes.filter((r) => !r.hidden);
      assert.ok(routes.length > 50, `only ${routes.length} routes`);
      for (const route of routes) {
        const operation = document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
        assert.ok(operation, `${route.method} ${route.url} is missing from the document`);
        const statuses = Object.keys(operation.responses);
        assert.ok(
          statuses.some((status) => /^[23]/.test(status)),
          `${route.method} ${route.url} declares no success answer`,
        );
        if (route.url.startsWith('/api/')) {
          assert.ok(statuses.includes('4XX'), `${route.method} ${route.url} declares no error answer`);
        }
      }
    });

    it('serves interactive docs from this server only', async () => {
      const page = await fetch(`${signet.url}/api/docs/`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /swagger/i);
      assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1)/, 'nothing from another origin');
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    });

    it('matches every request example in the README', () => {
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats(ajv);
      ajv.addSchema(document as object, 'openapi');
      const examples = readmeRequests();
      assert.ok(examples.length >= 3, `only ${examples.length} JSON examples found in the README`);
      for (const example of examples) {
        const template = templateOf(document, example.path);
        assert.ok(template, `${example.path} (README) is not in the document`);
        const operation = document.paths[template]?.[example.method.toLowerCase()];
        assert.ok(operation?.requestBody, `${example.method} ${template} takes no body`);
        const pointer = (...parts: string[]) =>
          parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
        // A `-F envelope=…` example is the multipart form's `envelope` part; `-d` is the JSON body.
        const multipart = example.source.includes("-F 'envelope=");
        const schemaPath = multipart
          ? ['requestBody', 'content', 'multipart/form-data', 'schema', 'properties', 'envelope']
          : ['requestBody', 'content', 'application/json', 'schema'];
        const validate = ajv.compile({
          $ref: `openapi#/${pointer('paths', template, example.method.toLowerCase(), ...schemaPath)}`,
        });
        const valid = validate(example.body);
        const problems = validate.errors ?? [];
        assert.ok(
          valid || problems.length === 0,
          `${example.method} ${example.path}: ${ajv.errorsText(problems)}`,
        );
      }
    });

    it('matches the README’s error example', () => {
      const ajv = new Ajv2020({ strict: false });
      addFormats(ajv);
      ajv.addSchema(document as object, 'openapi');
      const problem = /```json\n(\{[\s\S]*?"code"[\s\S]*?\})\n```/.exec(README)?.[1];
      assert.ok(problem, 'the README shows a problem+json example');
      const validate = ajv.compile({ $ref: 'openapi#/components/schemas/Problem' });
      assert.ok(validate(JSON.parse(problem.replace('"…"', '"x"'))), ajv.errorsText(validate.errors));
    });

    it('refuses an unknown property by its path, and nothing is created', async () => {
      const api = apiClient(signet.app, apiKey);
      const before = await api.get<{ data: unknown[] }>('/api/v1/envelopes');
      const typo = envelopeJson(await makePdf(), {
        recipients: [{ name: 'Carl Copy', email: 'carl@client.test', rol: 'cc' }],
      });
      const answer = await api.post<{ code: string; errors: { path: string; message: string }[] }>(
        '/api/v1/envelopes',
        typo,
      );
      assert.equal(answer.status, 400);
      assert.equal(answer.body.code, 'VALIDATION_FAILED');
      assert.deepEqual(answer.body.errors, [{ path: '/recipients/0/rol', message: 'unknown property' }]);
      const afterwards = await api.get<{ data: unknown[] }>('/api/v1/envelopes');
      assert.equal(afterwards.body.data.length, before.body.data.length);
    });

    it('reports every problem of a request together: a bad email, bad fields and a bad query', async () => {
      const api = apiClient(signet.app, apiKey);
      const answer = await api.post<{ errors: { path: string; in?: string }[] }>(
        '/api/v1/envelopes?send=maybe',
        envelopeJson(await makePdf(), {
          recipients: [{ name: 'Sam', email: 'not-an-email' }],
          fields: [{ recipient: 'sam@client.test', type: 'stamp', x: -1, y: 0, width: 0, height: 10 }],
        }),
      );
      assert.equal(answer.status, 400);
      const paths = answer.body.errors.map((e) => `${e.in ?? 'body'} ${e.path}`).sort();
      for (const expected of [
        'body /recipients/0/email',
        'body /fields/0/type',
        'body /fields/0/x',
        'body /fields/0/width',
        'query /send',
      ]) {
        assert.ok(paths.includes(expected), `${expected} in ${paths.join(', ')}`);
      }
    });

    it('takes the envelope part as a plain field, typed JSON or a file part, from curl, Python and fetch alike', async () => {
      const pdfPath = join(scratch, 'contract.pdf');
      writeFileSync(pdfPath, await makePdf());
      const envelope = {
        title: 'Three ways',
        recipients: [{ name: 'Sam Signer', email: 'sam@client.test' }],
        fields: [{ recipient: 'sam@client.test', type: 'signature', x: 50, y: 600, width: 150, height: 40 }],
      };
      const jsonPath = join(scratch, 'envelope.json');
      writeFileSync(jsonPath, JSON.stringify(envelope));
      const url = `${signet.url}/api/v1/envelopes`;
      const auth = `Authorization: Bearer ${apiKey}`;
      // Asynchronously: the server answering these clients runs in this process.
      const run = async (command: string, args: string[]) =>
        JSON.parse((await promisify(execFile)(command, args, { encoding: 'utf8' })).stdout);
      const curl = (...form: string[]) =>
        run('curl', ['-sS', url, '-H', auth, '-F', `file=@${pdfPath};type=application/pdf`, ...form]);
      const python = await run('python3', [
        '-c',
        `import requests, sys
r = requests.post(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]},
  files={"file": ("contract.pdf", open(sys.argv[3], "rb"), "application/pdf"),
         "envelope": ("envelope.json", open(sys.argv[4], "rb"), "application/json")})
print(r.text)`,
        url,
        apiKey,
        pdfPath,
        jsonPath,
      ]);
      const form = new FormData();
      form.append('file', new Blob([readFileSync(pdfPath)], { type: 'application/pdf' }), 'contract.pdf');
      form.append('envelope', new Blob([JSON.stringify(envelope)], { type: 'application/json' }));
      const browserLike = await (
        await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body: form })
      ).json();

      const created = [
        await curl('-F', `envelope=${JSON.stringify(envelope)}`),
        await curl('-F', `envelope=${JSON.stringify(envelope)};type=application/json`),
        await curl('-F', `envelope=@${jsonPath};type=application/json`),
        python,
        browserLike,
      ];
      const shape = (e: {
        title: string;
        status: string;
        recipients: { email: string; role: string }[];
        fields: { type: string; x: number; width: number }[];
        documents: { sha256: string }[];
      }) => ({
        title: e.title,
        status: e.status,
        recipients: e.recipients.map((r) => [r.email, r.role]),
        fields: e.fields.map((f) => [f.type, f.x, f.width]),
        documents: e.documents.map((d) => d.sha256),
      });
      for (const each of created) assert.ok(each.id, JSON.stringify(each));
      const first = shape(created[0]);
      for (const each of created.slice(1)) assert.deepEqual(shape(each), first);
    });
  });
}
