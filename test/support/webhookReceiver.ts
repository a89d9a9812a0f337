import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A webhook receiver for tests and benches: a real Node HTTP server on loopback that records
 * every request (raw body, headers) and every connection, and answers as each path is told to.
 */

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export interface WebhookReceiver {
  port: number;
  url(path: string): string;
  received: ReceivedWebhook[];
  /** Connections accepted, whether or not a request followed. */
  connections: number;
  /** How requests to `path` are answered from now on (default: 204). */
  answer(path: string, respond: (request: ReceivedWebhook) => Answer): void;
  /** The requests to `path`, in the order they came. */
  to(path: string): ReceivedWebhook[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(host = '127.0.0.1'): Promise<WebhookReceiver> {
  const answers = new Map<string, (request: ReceivedWebhook) => Answer>();
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://receiver').pathname;
      const seen = { path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(seen);
      const answer: Answer = (answers.get(path) ?? (() => ({ status: 204 })))(seen);
      response.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  const receiver: WebhookReceiver = {
    port: 0,
    url: (path) => `http://${host.includes(':') ? `[${host}]` : host}:${receiver.port}${path}`,
    received,
    connections: 0,
    answer: (path, respond) => answers.set(path, respond),
    to: (path) => received.filter((request) => request.path === path),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', () => {
    receiver.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  receiver.port = (server.address() as AddressInfo).port;
  return receiver;
}

/** The Standard Webhooks headers of a received request, as the standardwebhooks library takes them. */
export function webhookHeaders(request: ReceivedWebhook): Record<string, string> {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(', ') : (value ?? '');
  };
  return {
    'webhook-id': header('webhook-id'),
    'webhook-timestamp': header('webhook-timestamp'),
    'webhook-signature': header('webhook-signature'),
  };
}
