import { performance } from 'node:perf_hooks';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { envelopePage, envelopeView, jsonEnvelopeInput } from '../src/envelopes/schema.ts';
import { findUnstorableText } from '../src/http/parseInput.ts';
import { apiClient, envelopeJson } from '../test/support/apiClient.ts';
import { makePdf } from '../test/support/pdfFixtures.ts';
import { createTestOrganization, startTestSignet } from '../test/support/signetHarness.ts';
import { describeMachine } from './machine.ts';
import { type Sample, summarize } from './stats.ts';
import { formatMs, formatPercent, formatTarget, type Row, renderMarkdownTable } from './table.ts';

/*
 * What the one contract costs (issue 15): every request is validated by its route's zod schema
 * and every JSON answer is encoded through its answer schema (fastify-type-provider-zod), where a
 * route without schemas would only JSON.stringify. Measured on the real request and answer of
 * POST /api/v1/envelopes (a 1-page PDF), GET /api/v1/envelopes/{id} and the list: the compiled
 * validator and serializer timed on their own ("schema on"), beside plain JSON.stringify and no
 * validation ("schema off"), and the difference as a share of the whole request measured through
 * HTTP in the same run. Target: the contract adds at most 5 % to POST /api/v1/envelopes.
 * Part of `npm run bench` (section "contract"), or alone: node --import tsx bench/contractOverhead.ts
 */

export interface ContractRouteMeasurement {
  route: string;
  request: Sample;
  validate: Sample;
  serialize: Sample;
  stringify: Sample;
}

export interface ContractBench {
  routes: ContractRouteMeasurement[];
}

function time(runs: number, work: () => unknown): Sample {
  for (let i = 0; i < Math.min(50, runs); i++) work();
  const durations: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    durations.push(performance.now() - started);
  }
  return summarize(durations);
}

async function timeAsync(runs: number, work: () => Promise<unknown>): Promise<Sample> {
  for (let i = 0; i < Math.min(5, runs); i++) await work();
  const durations: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    durations.push(performance.now() - started);
  }
  return summarize(durations);
}

/** The work the contract adds to one route: its validator (with the text check) and its serializer. */
function compiled(body: z.ZodType | undefined, answer: z.ZodType) {
  const validate = body
    ? validatorCompiler({ schema: body, method: 'POST', url: '/', httpPart: 'body' } as never)
    : undefined;
  const serialize = serializerCompiler({ schema: answer, method: 'GET', url: '/' } as never) as (
    data: unknown,
  ) => string;
  return {
    validate: (input: unknown) => {
      if (!validate) return;
      validate(input);
      findUnstorableText(input);
    },
    serialize,
  };
}

export async function measureContractOverhead(runs: {
  requests: number;
  micro: number;
}): Promise<ContractBench> {
  const signet = await startTestSignet('pglite');
  try {
    const { apiKey } = await createTestOrganization(signet);
    const api = apiClient(signet.app, apiKey);
    const body = envelopeJson(await makePdf());
    const created = await api.post<{ id: string }>('/api/v1/envelopes', body);
    const single = (await api.get(`/api/v1/envelopes/${created.body.id}`)).body;
    for (let i = 0; i < 24; i++) await api.post('/api/v1/envelopes', body);
    const list = (await api.get('/api/v1/envelopes?limit=25')).body;

    const routes: [string, z.ZodType | undefined, z.ZodType, unknown, unknown, () => Promise<unknown>][] = [
      [
        'POST /api/v1/envelopes (JSON, 1-page PDF)',
        jsonEnvelopeInput,
        envelopeView,
        body,
        created.body,
        () => api.post('/api/v1/envelopes', body),
      ],
      [
        'GET /api/v1/envelopes/{id}',
        undefined,
        envelopeView,
        undefined,
        single,
        () => api.get(`/api/v1/envelopes/${created.body.id}`),
      ],
      [
        'GET /api/v1/envelopes (25 a page)',
        undefined,
        envelopePage,
        undefined,
        list,
        () => api.get('/api/v1/envelopes?limit=25'),
      ],
    ];
    const measured: ContractRouteMeasurement[] = [];
    for (const [route, input, answer, request, response, send] of routes) {
      const contract = compiled(input, answer);
      measured.push({
        route,
        request: await timeAsync(runs.requests, send),
        validate: time(runs.micro, () => contract.validate(request)),
        serialize: time(runs.micro, () => contract.serialize(response)),
        stringify: time(runs.micro, () => JSON.stringify(response)),
      });
    }
    return { routes: measured };
  } finally {
    await signet.stop();
  }
}

const micros = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

export function contractRows(bench: ContractBench | undefined): Row[] {
  if (!bench) return [];
  return bench.routes.map((route, index) => {
    const added = route.validate.median + route.serialize.median - route.stringify.median;
    const share = added / route.request.median;
    return {
      measure: `contract on ${route.route}: validate + serialize (schema on) vs JSON.stringify (schema off), medians`,
      value: `${micros(route.validate.median)} + ${micros(route.serialize.median)}`,
      peer: `${micros(route.stringify.median)} stringify; whole request ${formatMs(route.request.median)}`,
      ratio: `+${formatPercent(share)} of the request`,
      ...(index === 0 ? { target: formatTarget('≤ 5 %', share <= 0.05) } : {}),
    };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bench = await measureContractOverhead({ requests: 100, micro: 2000 });
  process.stdout.write(`${renderMarkdownTable(contractRows(bench), describeMachine())}\n`);
  process.exit(0);
}
