import type { FastifyInstance } from 'fastify';

/** A thin client over `app.inject()` for API tests: no network, real routes and database. */
export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
  raw: Buffer;
}

export function apiClient(app: FastifyInstance, apiKey?: string) {
  const call = async <T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> => {
    const response = await app.inject({
      method,
      url,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      headers: { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...headers },
    });
    const raw = response.rawPayload;
    const type = String(response.headers['content-type'] ?? '');
    const body = (type.includes('json') && raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {}) as T;
    return { status: response.statusCode, body, headers: response.headers, raw };
  };
  return {
    /** The Authorization header this client sends, for hand-made requests. */
    authorization: apiKey ? `Bearer ${apiKey}` : '',
    get: <T = Record<string, unknown>>(url: string) => call<T>('GET', url),
    post: <T = Record<string, unknown>>(url: string, payload: unknown = {}) => call<T>('POST', url, payload),
    put: <T = Record<string, unknown>>(url: string, payload: unknown = {}) => call<T>('PUT', url, payload),
    patch: <T = Record<string, unknown>>(url: string, payload: unknown = {}) =>
      call<T>('PATCH', url, payload),
    delete: <T = Record<string, unknown>>(url: string) => call<T>('DELETE', url),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/**
 * Opens every document of a signing session, as the ceremony does: a recipient may finish only
 * once each document has been presented to them (DOCUMENTS_NOT_VIEWED otherwise).
 */
export async function openEveryDocument(signer: ApiClient, token: string): Promise<void> {
  const session = await signer.get<{ documents?: { id: string }[] }>(`/api/v1/signing/${token}`);
  for (const { id } of session.body.documents ?? []) {
    const document = await signer.get(`/api/v1/signing/${token}/documents/${id}`);
    if (document.status !== 200) throw new Error(`document ${id} answered ${document.status}`);
  }
}

export function envelopeJson(pdf: Buffer, overrides: Record<string, unknown> = {}) {
  return {
    title: 'Service agreement',
    recipients: [{ name: 'Sam Signer', email: 'sam@client.test', role: 'signer', routingOrder: 1 }],
    fields: [
      { recipient: 'sam@client.test', type: 'signature', page: 1, x: 50, y: 600, width: 150, height: 40 },
    ],
    documents: [{ name: 'agreement.pdf', content: pdf.toString('base64') }],
    ...overrides,
  };
}

export interface OutboxMessage {
  to: string;
  kind: string;
  subject: string;
  state: string;
  text: string | null;
}

/** The organisation's mail in the local outbox, read as its admin would: `admin` holds an admin key. */
export async function outboxMail(admin: ApiClient): Promise<OutboxMessage[]> {
  const response = await admin.get<{ messages: OutboxMessage[] }>('/api/v1/outbox/mail?limit=500');
  if (response.status !== 200) throw new Error(`the outbox answered ${response.status}`);
  return response.body.messages;
}

/** The token of the newest invitation to `email` in the outbox of `admin`'s organisation. */
export async function latestTokenFor(admin: ApiClient, email: string): Promise<string> {
  const messages = await outboxMail(admin);
  const mail = messages.find((m) => m.to === email && (m.kind === 'invitation' || m.kind === 'reminder'));
  const token = mail?.text ? /\/sign\/([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1] : undefined;
  if (!token) throw new Error(`no invitation for ${email} in the outbox`);
  return token;
}
