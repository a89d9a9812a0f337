import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  checkConnectedPeer,
  createOutboundClient,
  type OutboundClient,
  OutboundError,
  outboundFailureOf,
} from './outboundHttp.ts';

/*
 * The outbound module against real HTTP servers on loopback: what it fetches, how it follows
 * redirects, what it sends. The refusals (SSRF) are test/security/ssrf.test.ts.
 */

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Peer {
  base: string;
  seen: Seen[];
  close(): Promise<void>;
}

async function startPeer(
  handle: (request: IncomingMessage, response: ServerResponse, body: string) => void,
  host = '127.0.0.1',
): Promise<Peer> {
  const seen: Seen[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      handle(request, response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://${host}:${port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const rejectsWith = (code: string) => (error: unknown) => {
  assert.ok(error instanceof OutboundError, String(error));
  assert.equal(error.code, code, error.detail);
  return true;
};

describe('outbound requests (createOutboundClient)', () => {
  let client: OutboundClient;
  let peer: Peer;
  let other: Peer;

  before(async () => {
    client = createOutboundClient({ allowedNetworks: ['127.0.0.1/32'] });
    peer = await startPeer((request, response, body) => {
      const url = new URL(request.url ?? '/', 'http://peer');
      if (url.pathname === '/hello') {
        response.writeHead(200, { 'content-type': 'text/plain', 'x-peer': 'yes' }).end('hello');
      } else if (url.pathname === '/echo') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ body }));
      } else if (url.pathname === '/missing') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('internal detail that must stay here');
      } else if (url.pathname === '/redirect') {
        response.writeHead(302, { location: url.searchParams.get('to') ?? '/hello' }).end();
      } else if (url.pathname === '/see-other') {
        response.writeHead(303, { location: '/hello' }).end();
      } else if (url.pathname === '/loop') {
        response.writeHead(307, { location: '/loop' }).end();
      } else {
        response.writeHead(500).end();
      }
    });
    other = await startPeer((_request, response) => response.writeHead(200).end('other'), '127.0.0.2');
  });
  after(async () => {
    await client?.close();
    await peer?.close();
    await other?.close();
  });

  it('fetches from a peer the policy allows: status, headers and body', async () => {
    const answer = await client.request({
      url: `${peer.base}/hello`,
      policy: 'tenant',
      maxBytes: 1024,
      timeoutMs: 5000,
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-peer'), 'yes');
    assert.equal(Buffer.from(answer.body).toString(), 'hello');
    assert.equal(answer.url, `${peer.base}/hello`);
    assert.equal(peer.seen.at(-1)?.headers['user-agent'], 'Signet');
  });

  it('sends a POST body with its headers', async () => {
    const answer = await client.request({
      url: `${peer.base}/echo`,
      policy: 'operator',
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: new Uint8Array(Buffer.from('query')),
      maxBytes: 1024,
      timeoutMs: 5000,
    });
    assert.deepEqual(JSON.parse(Buffer.from(answer.body).toString()), { body: 'query' });
    assert.equal(peer.seen.at(-1)?.headers['content-type'], 'application/ocsp-request');
  });

  it('reaches any address for the operator, none but allowed ones for a tenant', async () => {
    const operatorAnswer = await client.request({
      url: `${other.base}/`,
      policy: 'operator',
      maxBytes: 1024,
      timeoutMs: 5000,
    });
    assert.equal(Buffer.from(operatorAnswer.body).toString(), 'other');
    const before = other.seen.length;
    await assert.rejects(
      client.request({ url: `${other.base}/`, policy: 'tenant', maxBytes: 1024, timeoutMs: 5000 }),
      rejectsWith('OUTBOUND_ADDRESS_REFUSED'),
    );
    assert.equal(other.seen.length, before);
  });

  it('opens private networks to tenants only when the operator says so', async () => {
    const open = createOutboundClient({ allowPrivateNetworks: true });
    try {
      const answer = await open.request({
        url: `${other.base}/`,
        policy: 'tenant',
        maxBytes: 1024,
        timeoutMs: 5000,
      });
      assert.equal(answer.status, 200);
    } finally {
      await open.close();
    }
  });

  it('answers a status outside 2xx with OUTBOUND_HTTP_STATUS, naming the status and not the body', async () => {
    await assert.rejects(
      client.request({ url: `${peer.base}/missing`, policy: 'tenant', maxBytes: 1024, timeoutMs: 5000 }),
      (error: unknown) => {
        assert.ok(error instanceof OutboundError);
        assert.equal(error.code, 'OUTBOUND_HTTP_STATUS');
        assert.equal(error.httpStatus, 404);
        assert.equal(error.reason, 'HTTP 404');
        assert.equal(error.detail, 'The server answered with HTTP status 404.');
        assert.doesNotMatch(error.message, /internal detail/);
        return true;
      },
    );
    const accepted = await client.request({
      url: `${peer.base}/missing`,
      policy: 'tenant',
      maxBytes: 1024,
      timeoutMs: 5000,
      acceptStatus: () => true,
    });
    assert.equal(accepted.status, 404);
  });

  it('follows a redirect on the same host, relative or absolute', async () => {
    const relative = await client.request({
      url: `${peer.base}/redirect?to=/hello`,
      policy: 'tenant',
      maxBytes: 1024,
      timeoutMs: 5000,
    });
    assert.equal(Buffer.from(relative.body).toString(), 'hello');
    assert.equal(relative.url, `${peer.base}/hello`);
  });

  it('continues a 303 answer to a POST as a GET without the body', async () => {
    const answer = await client.request({
      url: `${peer.base}/see-other`,
      policy: 'tenant',
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'form',
      maxBytes: 1024,
      timeoutMs: 5000,
    });
    assert.equal(answer.status, 200);
    const last = peer.seen.at(-1);
    assert.equal(last?.method, 'GET');
    assert.equal(last?.body, '');
    assert.equal(last?.headers['content-type'], undefined);
  });

  it('drops credentials when a redirect leaves the origin, and keeps them on the same origin', async () => {
    await client.request({
      url: `${peer.base}/redirect?to=${encodeURIComponent(`${other.base}/`)}`,
      policy: 'operator',
      headers: { authorization: 'Basic c2VjcmV0', 'x-keep': 'kept' },
      maxBytes: 1024,
      timeoutMs: 5000,
    });
    assert.equal(other.seen.at(-1)?.headers.authorization, undefined);
    assert.equal(other.seen.at(-1)?.headers['x-keep'], 'kept');
    await client.request({
      url: `${peer.base}/redirect?to=/hello`,
      policy: 'operator',
      headers: { authorization: 'Basic c2VjcmV0' },
      maxBytes: 1024,
      timeoutMs: 5000,
    });
    assert.equal(peer.seen.at(-1)?.headers.authorization, 'Basic c2VjcmV0');
  });

  it('stops after a few redirects, and returns a redirect as an answer when told to follow none', async () => {
    await assert.rejects(
      client.request({ url: `${peer.base}/loop`, policy: 'tenant', maxBytes: 1024, timeoutMs: 5000 }),
      rejectsWith('OUTBOUND_REDIRECT_REFUSED'),
    );
    const answer = await client.request({
      url: `${peer.base}/loop`,
      policy: 'tenant',
      maxBytes: 1024,
      timeoutMs: 5000,
      maxRedirects: 0,
      acceptStatus: () => true,
    });
    assert.equal(answer.status, 307);
    assert.equal(answer.headers.get('location'), '/loop');
  });

  it('keeps the first maxBytes of a longer body when told to truncate, and closes the connection', async () => {
    const long = await startPeer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(10_000));
    });
    try {
      const answer = await client.request({
        url: `${long.base}/`,
        policy: 'tenant',
        maxBytes: 1000,
        timeoutMs: 5000,
        overflow: 'truncate',
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.truncated, true);
      assert.equal(Buffer.from(answer.body).toString(), 'x'.repeat(1000));
      const short = await client.request({
        url: `${peer.base}/hello`,
        policy: 'tenant',
        maxBytes: 1000,
        timeoutMs: 5000,
        overflow: 'truncate',
      });
      assert.equal(short.truncated, false);
      await assert.rejects(
        client.request({ url: `${long.base}/`, policy: 'tenant', maxBytes: 1000, timeoutMs: 5000 }),
        rejectsWith('OUTBOUND_TOO_LARGE'),
      );
    } finally {
      await long.close();
    }
  });

  it('checks a URL without connecting: its form and every address of its host', async () => {
    const before = other.seen.length;
    await client.checkUrl(`${peer.base}/hello`, 'tenant');
    await assert.rejects(
      client.checkUrl(`${other.base}/`, 'tenant'),
      rejectsWith('OUTBOUND_ADDRESS_REFUSED'),
    );
    await client.checkUrl(`${other.base}/`, 'operator');
    await assert.rejects(client.checkUrl('ftp://127.0.0.1/', 'tenant'), rejectsWith('OUTBOUND_URL_INVALID'));
    const named = createOutboundClient({
      allowedNetworks: ['127.0.0.1/32'],
      resolve: async (hostname) =>
        hostname === 'mixed.example.test'
          ? [
              { address: '127.0.0.1', family: 4 },
              { address: '127.0.0.2', family: 4 },
            ]
          : hostname === 'nowhere.invalid'
            ? []
            : [{ address: '127.0.0.1', family: 4 }],
    });
    try {
      await named.checkUrl('http://fine.example.test/', 'tenant');
      await assert.rejects(
        named.checkUrl('http://mixed.example.test/', 'tenant'),
        rejectsWith('OUTBOUND_ADDRESS_REFUSED'),
      );
      await assert.rejects(
        named.checkUrl('http://nowhere.invalid/', 'tenant'),
        rejectsWith('OUTBOUND_UNREACHABLE'),
      );
    } finally {
      await named.close();
    }
    assert.equal(other.seen.length, before, 'nothing was fetched');
  });

  it('refuses headers the client sets itself or that could split a request', async () => {
    const invalid: Record<string, string>[] = [
      { host: 'elsewhere' },
      { 'x-a': 'one\r\nx-b: two' },
      { 'bad name': 'x' },
    ];
    for (const headers of invalid) {
      await assert.rejects(
        client.request({
          url: `${peer.base}/hello`,
          policy: 'tenant',
          headers,
          maxBytes: 1024,
          timeoutMs: 5000,
        }),
        rejectsWith('OUTBOUND_REQUEST_INVALID'),
      );
    }
  });

  it('resolves host names with the resolver it is given', async () => {
    const asked: string[] = [];
    const named = createOutboundClient({
      allowedNetworks: ['127.0.0.1/32'],
      resolve: async (hostname) => {
        asked.push(hostname);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    try {
      const { port } = new URL(peer.base);
      const answer = await named.request({
        url: `http://idp.example.test:${port}/hello`,
        policy: 'tenant',
        maxBytes: 1024,
        timeoutMs: 5000,
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(asked, ['idp.example.test']);
      assert.equal(peer.seen.at(-1)?.headers.host, `idp.example.test:${port}`);
    } finally {
      await named.close();
    }
  });

  describe('as fetch (openid-client customFetch)', () => {
    it('answers every status as a Response, like fetch', async () => {
      const fetch = client.fetch({ policy: 'tenant', maxBytes: 1024, timeoutMs: 5000 });
      const ok = await fetch(`${peer.base}/hello`, { headers: { accept: 'text/plain' } });
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'hello');
      const missing = await fetch(`${peer.base}/missing`);
      assert.equal(missing.status, 404);
    });

    it('sends URLSearchParams form-encoded', async () => {
      const fetch = client.fetch({ policy: 'tenant', maxBytes: 1024, timeoutMs: 5000 });
      const answer = await fetch(`${peer.base}/echo`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'a b' }),
      });
      assert.deepEqual(await answer.json(), { body: 'grant_type=authorization_code&code=a+b' });
      assert.equal(
        peer.seen.at(-1)?.headers['content-type'],
        'application/x-www-form-urlencoded;charset=UTF-8',
      );
    });

    it("returns a redirect as is with redirect: 'manual', and refuses it with 'error'", async () => {
      const fetch = client.fetch({ policy: 'tenant', maxBytes: 1024, timeoutMs: 5000 });
      const manual = await fetch(`${peer.base}/redirect?to=/hello`, { redirect: 'manual' });
      assert.equal(manual.status, 302);
      await assert.rejects(
        fetch(`${peer.base}/redirect?to=/hello`, { redirect: 'error' }),
        rejectsWith('OUTBOUND_REDIRECT_REFUSED'),
      );
    });

    it('keeps the size cap', async () => {
      const fetch = client.fetch({ policy: 'tenant', maxBytes: 3, timeoutMs: 5000 });
      await assert.rejects(fetch(`${peer.base}/hello`), rejectsWith('OUTBOUND_TOO_LARGE'));
    });
  });

  it('finds an OutboundError a library wrapped', () => {
    const inner = new OutboundError('OUTBOUND_TIMEOUT');
    const wrapped = new Error('something went wrong', { cause: inner });
    assert.equal(outboundFailureOf(wrapped), inner);
    assert.equal(outboundFailureOf(new Error('other')), undefined);
  });
});

describe('the connected socket is checked again (checkConnectedPeer)', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((_request, response) => response.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function connected(): Promise<Socket> {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    return socket;
  }

  it('refuses a socket whose peer turned out to be loopback, and accepts it where loopback is allowed', async () => {
    const socket = await connected();
    try {
      assert.throws(
        () => checkConnectedPeer(socket, (address) => address !== '127.0.0.1'),
        rejectsWith('OUTBOUND_ADDRESS_REFUSED'),
      );
      assert.doesNotThrow(() => checkConnectedPeer(socket, () => true));
    } finally {
      socket.destroy();
    }
  });
});
