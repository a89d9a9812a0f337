import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import {
  createTestOrganization,
  type DatabaseKind,
  eventually,
  startTestSignet,
} from '../test/support/signetHarness.ts';
import { makeContractPdf } from './documents.ts';
import { type Sample, summarize } from './stats.ts';

/*
 * Completed envelopes per second through the public HTTP API, on a real instance: create and
 * send → the signer consents and finishes → poll until the sealed PDF exists. Real sockets
 * (fetch against signet.url), not app.inject(), because the API's throughput includes them.
 * The client runs in the same process as the server, so on a 2-core machine it competes with
 * it for the event loop; that costs a little throughput and is the same on every run.
 */

export interface ThroughputPlan {
  envelopes: number;
  concurrency: number;
  /** Envelopes completed first and not counted: JIT, PGlite caches, first-seal font loading. */
  warmup: number;
}

export interface EnvelopeTimings {
  /** POST /api/v1/envelopes?send=true until 201. */
  create: number;
  /** Invitation lookup, consent and finish. */
  sign: number;
  /** From the signer's finish until GET shows seal.state 'done' (includes queue pickup). */
  sealWait: number;
  total: number;
}

export interface ThroughputResult {
  database: DatabaseKind;
  plan: ThroughputPlan;
  wallMs: number;
  envelopesPerSecond: number;
  latency: Sample;
  create: Sample;
  sign: Sample;
  sealWait: Sample;
  /** Mails not yet delivered when the last envelope was sealed: the mail queue's backlog. */
  mailBacklog: number;
  /**
   * Mails queued per envelope (warm-up included), by kind: what the mail worker must keep up with.
   * Counted from the organisation's outbox, which lists at most 500 mails — enough for a few dozen envelopes.
   */
  mailsPerEnvelope: number;
  mailKinds: Record<string, number>;
}

/** How often a client polls for the seal; adds up to this much to each measured latency. */
const SEAL_POLL_MS = 50;
const SEAL_TIMEOUT_MS = 60_000;

const createdEnvelope = z.object({ id: z.string() });
const envelopeState = z.object({
  status: z.string(),
  seal: z.object({ state: z.string(), lastError: z.string().nullable() }),
});
const outbox = z.object({
  messages: z.array(
    z.object({ to: z.string(), kind: z.string(), text: z.string().nullable(), state: z.string() }),
  ),
});

export async function measureEnvelopeThroughput(
  database: DatabaseKind,
  plan: ThroughputPlan,
): Promise<ThroughputResult> {
  const signet = await startTestSignet(database);
  try {
    const { apiKey } = await createTestOrganization(signet, 'Bench Ltd');
    const client = new SignetClient(signet.url, apiKey);
    const pdf = Buffer.from(await makeContractPdf(1)).toString('base64');
    await runPool(plan.warmup, 1, (i) => completeOneEnvelope(client, pdf, `warmup-${i}`));
    const started = performance.now();
    const timings = await runPool(plan.envelopes, plan.concurrency, (i) =>
      completeOneEnvelope(client, pdf, `run-${i}`),
    );
    const wallMs = performance.now() - started;
    const { messages } = await client.outbox();
    const mailKinds: Record<string, number> = {};
    for (const message of messages) mailKinds[message.kind] = (mailKinds[message.kind] ?? 0) + 1;

    return {
      database,
      plan,
      wallMs,
      envelopesPerSecond: (plan.envelopes * 1000) / wallMs,
      latency: summarize(timings.map((t) => t.total)),
      create: summarize(timings.map((t) => t.create)),
      sign: summarize(timings.map((t) => t.sign)),
      sealWait: summarize(timings.map((t) => t.sealWait)),
      mailBacklog: messages.filter((m) => m.state !== 'sent').length,
      mailsPerEnvelope: messages.length / (plan.warmup + plan.envelopes),
      mailKinds,
    };
  } finally {
    await signet.stop();
  }
}

async function completeOneEnvelope(
  client: SignetClient,
  pdfBase64: string,
  label: string,
): Promise<EnvelopeTimings> {
  // One address per envelope, so the invitation in the outbox is unambiguously this envelope's.
  const email = `signer-${label}@client.test`;
  const started = performance.now();
  const { id } = await client.createEnvelope({
    title: `Bench agreement ${label}`,
    recipients: [{ name: 'Sam Signer', email, role: 'signer', routingOrder: 1 }],
    fields: [{ recipient: email, type: 'signature', page: 1, x: 50, y: 720, width: 180, height: 40 }],
    documents: [{ name: 'agreement.pdf', content: pdfBase64 }],
  });
  const created = performance.now();

  const token = await eventually(() => client.invitationToken(email), `the invitation to ${email}`, 10_000);
  await client.readDocuments(token);
  await client.signer(token, 'consent', {});
  await client.signer(token, 'finish', { signature: { kind: 'typed', text: 'Sam Signer' } });
  const signed = performance.now();

  await waitForSeal(client, id);
  const sealed = performance.now();
  return {
    create: created - started,
    sign: signed - created,
    sealWait: sealed - signed,
    total: sealed - started,
  };
}

async function waitForSeal(client: SignetClient, envelopeId: string): Promise<void> {
  const deadline = performance.now() + SEAL_TIMEOUT_MS;
  for (;;) {
    const envelope = await client.envelope(envelopeId);
    if (envelope.seal.state === 'done') return;
    if (envelope.seal.state === 'failed') {
      throw new Error(
        `sealing envelope ${envelopeId} failed: ${envelope.seal.lastError ?? 'no error recorded'}`,
      );
    }
    if (performance.now() > deadline) {
      throw new Error(
        `envelope ${envelopeId} not sealed after ${SEAL_TIMEOUT_MS} ms (${envelope.seal.state})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, SEAL_POLL_MS));
  }
}

/** Runs `count` tasks with at most `concurrency` in flight; results in index order. */
async function runPool<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** The few API calls the benchmark makes, each reply parsed into the shape it relies on. */
class SignetClient {
  readonly #baseUrl: string;
  readonly #apiKey: string;

  constructor(baseUrl: string, apiKey: string) {
    this.#baseUrl = baseUrl;
    this.#apiKey = apiKey;
  }

  async createEnvelope(body: Record<string, unknown>) {
    const reply = await this.#request('POST /api/v1/envelopes', '/api/v1/envelopes?send=true', {
      method: 'POST',
      headers: { ...this.#auth(), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return createdEnvelope.parse(reply);
  }

  async envelope(id: string) {
    const reply = await this.#request('GET /api/v1/envelopes/:id', `/api/v1/envelopes/${id}`, {
      headers: this.#auth(),
    });
    return envelopeState.parse(reply);
  }

  async outbox() {
    // The local outbox, read as the organisation's admin reads it (the bench's key has every scope).
    const reply = await this.#request('GET /api/v1/outbox/mail', '/api/v1/outbox/mail?limit=500', {
      headers: this.#auth(),
    });
    return outbox.parse(reply);
  }

  /** The newest invitation's token, as test/support/apiClient.ts latestTokenFor reads it. */
  async invitationToken(email: string): Promise<string | undefined> {
    const mail = (await this.outbox()).messages.find((m) => m.to === email && m.kind === 'invitation');
    return mail?.text ? /\/sign\/([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1] : undefined;
  }

  /** Opens the session and every document in it, as a signer must before finishing. */
  async readDocuments(token: string) {
    const headers = { 'user-agent': 'Signet bench/1.0' };
    const session = (await this.#request('GET /api/v1/signing/:token', `/api/v1/signing/${token}`, {
      headers,
    })) as { documents: { id: string }[] };
    for (const { id } of session.documents) {
      const path = `/api/v1/signing/${token}/documents/${id}`;
      const response = await fetch(`${this.#baseUrl}${path}`, { headers });
      if (!response.ok)
        throw new Error(`GET /api/v1/signing/:token/documents/:id answered ${response.status}`);
      await response.arrayBuffer();
    }
  }

  async signer(token: string, action: 'consent' | 'finish', body: Record<string, unknown>) {
    await this.#request(`POST /api/v1/signing/:token/${action}`, `/api/v1/signing/${token}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Signet bench/1.0' },
      body: JSON.stringify(body),
    });
  }

  #auth() {
    return { authorization: `Bearer ${this.#apiKey}` };
  }

  /** `route` names the call in errors: the real path may hold a signing token, which is never printed. */
  async #request(route: string, path: string, init: RequestInit): Promise<unknown> {
    const response = await fetch(`${this.#baseUrl}${path}`, init);
    const text = await response.text();
    if (!response.ok) {
      const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(text)?.[1] ?? 'no problem code';
      throw new Error(`${route} answered ${response.status} (${code})`);
    }
    return text === '' ? {} : JSON.parse(text);
  }
}
