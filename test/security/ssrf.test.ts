import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createOutboundClient,
  type OutboundClient,
  OutboundError,
  type OutboundRequest,
  type ResolvedAddress,
} from '../../src/outbound/outboundHttp.ts';
import { type ApiClient, apiClient } from '../support/apiClient.ts';
import {
  createTestOrganization,
  databaseKinds,
  freePort,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/*
 * The security issue's SSRF finding: a tenant's configured URL (IdP metadata, an OIDC issuer)
 * pointing at an internal address made Signet fetch it and echo the body — live signing links
 * of every organisation — in the problem's `detail`. Every case here points at this test's own
 * loopback listener, which must see no connection at all (TESTING.md: never any traffic beyond
 * loopback), and every failure must read the same whatever was there: no body, no address, no
 * port, no system error.
 */

/** What an internal service hands out: it must never reach a tenant. */
const SECRET = 'live-signing-link https://signet.test/sign/SECRET-TOKEN-0123456789';

/** An internal service on loopback (127.0.0.1 and ::1, one port) counting connections. */
interface Internal {
  port: number;
  connections: number;
  close(): Promise<void>;
}

async function startInternal(): Promise<Internal> {
  const servers: Server[] = [];
  const internal: Internal = {
    port: 0,
    connections: 0,
    close: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
  const serve = async (host: string, port: number) => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ SECRET }));
    });
    server.on('connection', () => {
      internal.connections++;
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    servers.push(server);
    return (server.address() as AddressInfo).port;
  };
  internal.port = await serve('127.0.0.1', 0);
  await serve('::1', internal.port).catch(() => undefined); // a machine without IPv6 loopback
  return internal;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A server on `host` (127.0.0.2 plays an allowed, "public" host) on a given port or any. */
async function startPeer(
  host: string,
  handle: (request: IncomingMessage, response: ServerResponse) => void,
  port = 0,
): Promise<{ port: number; requests: number; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    peer.requests++;
    handle(request, response);
  });
  const peer = { port: 0, requests: 0, close: () => closeServer(server) };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  peer.port = (server.address() as AddressInfo).port;
  return peer;
}

/** A failure a tenant may read: generic, short, and nothing of what is (or is not) behind the URL. */
function assertGeneric(text: string, ports: number[]) {
  assert.ok(text.length > 0 && text.length < 300, text);
  assert.doesNotMatch(text, /SECRET|live-signing|sign\//);
  assert.doesNotMatch(text, /127\.0\.0\.\d|::1|0\.0\.0\.0|localhost|ECONN|EHOST|ENOTFOUND|socket|errno/i);
  for (const port of ports) assert.ok(!text.includes(String(port)), `${text} names port ${port}`);
}

const refusedWith = (code: string, ports: number[]) => (error: unknown) => {
  assert.ok(error instanceof OutboundError, String(error));
  assert.equal(error.code, code, error.detail);
  assertGeneric(error.message, ports);
  return true;
};

const tenant = (url: string, extra: Partial<OutboundRequest> = {}): OutboundRequest => ({
  url,
  policy: 'tenant',
  maxBytes: 1024 * 1024,
  timeoutMs: 5000,
  ...extra,
});

describe('outbound requests for a tenant never reach internal addresses', () => {
  let client: OutboundClient;
  let internal: Internal;

  before(async () => {
    client = createOutboundClient();
    internal = await startInternal();
  });
  after(async () => {
    await client?.close();
    await internal?.close();
  });

  it('refuses every spelling of loopback and "this host" without connecting', async () => {
    const port = internal.port;
    for (const url of [
      `http://127.0.0.1:${port}/dev/outbox?limit=500`,
      `http://localhost:${port}/`,
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://[::ffff:7f00:1]:${port}/`,
      `http://[0:0:0:0:0:0:0:1]:${port}/`,
      `http://0.0.0.0:${port}/`,
      `http://[::]:${port}/`,
      `http://0:${port}/`,
      `http://2130706433:${port}/`,
      `http://0x7f000001:${port}/`,
      `http://0x7f.0.0.1:${port}/`,
      `http://0177.0.0.1:${port}/`,
      `http://017700000001:${port}/`,
      `http://127.1:${port}/`,
      `http://127.0.0.2:${port}/`,
      `https://127.0.0.1:${port}/`,
      `http://[64:ff9b::7f00:1]:${port}/`,
    ]) {
      await assert.rejects(client.request(tenant(url)), refusedWith('OUTBOUND_ADDRESS_REFUSED', [port]), url);
    }
    assert.equal(internal.connections, 0);
  });

  it('refuses private, link-local and metadata addresses before any connection is tried', async () => {
    for (const url of [
      'http://10.0.0.1/',
      'http://192.168.1.1/',
      'http://172.16.0.1/',
      'http://100.64.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://[fe80::1]/',
      'http://[fc00::1]/',
      'http://224.0.0.1/',
      'http://255.255.255.255/',
    ]) {
      // Refused before a socket exists: no packet leaves (TESTING.md), so the answer is immediate.
      await assert.rejects(
        client.request(tenant(url, { timeoutMs: 1000 })),
        refusedWith('OUTBOUND_ADDRESS_REFUSED', []),
        url,
      );
    }
  });

  it('refuses a host name with any internal address among its answers', async () => {
    const mixed = createOutboundClient({
      resolve: async () => [
        { address: '93.184.215.14', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
    try {
      await assert.rejects(
        mixed.request(tenant(`http://mixed.example.test:${internal.port}/`)),
        refusedWith('OUTBOUND_ADDRESS_REFUSED', [internal.port]),
      );
    } finally {
      await mixed.close();
    }
    assert.equal(internal.connections, 0);
  });

  it('refuses a redirect from an allowed host to a loopback one, by address and by name', async () => {
    const allowed = createOutboundClient({ allowedNetworks: ['127.0.0.2/32'] });
    const targets = [
      `http://127.0.0.1:${internal.port}/dev/outbox`,
      `http://localhost:${internal.port}/`,
      `http://[::1]:${internal.port}/`,
      `http://2130706433:${internal.port}/`,
    ];
    const redirector = await startPeer('127.0.0.2', (request, response) => {
      const index = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('i'));
      response.writeHead(302, { location: targets[index] ?? '/' }).end();
    });
    try {
      for (const [index] of targets.entries()) {
        await assert.rejects(
          allowed.request(tenant(`http://127.0.0.2:${redirector.port}/?i=${index}`)),
          refusedWith('OUTBOUND_ADDRESS_REFUSED', [internal.port, redirector.port]),
        );
      }
      assert.equal(redirector.requests, targets.length, 'the allowed host was asked');
    } finally {
      await redirector.close();
      await allowed.close();
    }
    assert.equal(internal.connections, 0);
  });

  it('refuses a host name whose DNS answer turns to loopback after it was first allowed (rebinding)', async () => {
    // 127.0.0.2 is this test's "public" address. The name first resolves to it; the host then
    // redirects to itself by name, and the resolver now answers 127.0.0.1, where the internal
    // service listens on the same port.
    const answers: ResolvedAddress[][] = [[{ address: '127.0.0.2', family: 4 }]];
    const asked: string[] = [];
    const rebinding = createOutboundClient({
      allowedNetworks: ['127.0.0.2/32'],
      resolve: async (hostname) => {
        asked.push(hostname);
        return answers.shift() ?? [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const host = await startPeer(
      '127.0.0.2',
      (_request, response) => response.writeHead(302, { location: '/secret', connection: 'close' }).end(),
      internal.port,
    );
    try {
      await assert.rejects(
        rebinding.request(tenant(`http://rebind.example.test:${internal.port}/`)),
        refusedWith('OUTBOUND_ADDRESS_REFUSED', [internal.port]),
      );
      assert.equal(host.requests, 1);
      assert.deepEqual(asked, ['rebind.example.test', 'rebind.example.test']);
    } finally {
      await host.close();
      await rebinding.close();
    }
    assert.equal(internal.connections, 0);
  });

  it('fetches only http and https, and no URL with credentials, also after a redirect', async () => {
    const port = internal.port;
    for (const url of [
      'file:///etc/passwd',
      `ftp://127.0.0.1:${port}/`,
      'data:text/plain,hello',
      `gopher://127.0.0.1:${port}/_GET%20/`,
      `ws://127.0.0.1:${port}/`,
      'javascript:alert(1)',
      `http://user:secret@example.test:${port}/`,
      '/relative/path',
      'not a url',
    ]) {
      await assert.rejects(client.request(tenant(url)), refusedWith('OUTBOUND_URL_INVALID', [port]), url);
    }
    const allowed = createOutboundClient({ allowedNetworks: ['127.0.0.2/32'] });
    const redirector = await startPeer('127.0.0.2', (request, response) => {
      const to = new URL(request.url ?? '/', 'http://x').searchParams.get('to') ?? '';
      response.writeHead(302, { location: to }).end();
    });
    try {
      for (const to of [
        'file:///etc/passwd',
        `gopher://127.0.0.1:${port}/_x`,
        `http://u:p@127.0.0.2:${port}/`,
      ]) {
        await assert.rejects(
          allowed.request(tenant(`http://127.0.0.2:${redirector.port}/?to=${encodeURIComponent(to)}`)),
          refusedWith('OUTBOUND_REDIRECT_REFUSED', [port, redirector.port]),
          to,
        );
      }
    } finally {
      await redirector.close();
      await allowed.close();
    }
    assert.equal(internal.connections, 0);
  });

  it('cuts off a body larger than the cap while it streams, and one announced too large before reading it', async () => {
    let written = 0;
    let closedAfter = -1;
    const endless = await startPeer('127.0.0.2', (request, response) => {
      if (request.url === '/announced') {
        response.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
        response.write(Buffer.alloc(1024));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 0x41);
      const timer = setInterval(() => {
        response.write(chunk);
        written += chunk.length;
      }, 2);
      response.on('close', () => {
        clearInterval(timer);
        closedAfter = written;
      });
    });
    const allowed = createOutboundClient({ allowedNetworks: ['127.0.0.2/32'] });
    try {
      const started = Date.now();
      await assert.rejects(
        allowed.request(
          tenant(`http://127.0.0.2:${endless.port}/`, { maxBytes: 64 * 1024, timeoutMs: 20_000 }),
        ),
        refusedWith('OUTBOUND_TOO_LARGE', [endless.port]),
      );
      assert.ok(Date.now() - started < 5000, 'aborted as soon as the cap was passed, not at the deadline');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(closedAfter >= 0, 'the server saw the connection closed');
      assert.ok(closedAfter < 2 * 1024 * 1024, `${closedAfter} bytes written before the close`);
      await assert.rejects(
        allowed.request(tenant(`http://127.0.0.2:${endless.port}/announced`, { maxBytes: 64 * 1024 })),
        refusedWith('OUTBOUND_TOO_LARGE', [endless.port]),
      );
    } finally {
      await endless.close();
      await allowed.close();
    }
  });

  it('gives up on a server that does not answer, or drips its answer, at the deadline', async () => {
    const slow = await startPeer('127.0.0.2', (request, response) => {
      if (request.url === '/silent') return;
      response.writeHead(200);
      const timer = setInterval(() => response.write('x'), 50);
      response.on('close', () => clearInterval(timer));
    });
    const allowed = createOutboundClient({ allowedNetworks: ['127.0.0.2/32'] });
    try {
      for (const path of ['/silent', '/drip']) {
        const started = Date.now();
        await assert.rejects(
          allowed.request(tenant(`http://127.0.0.2:${slow.port}${path}`, { timeoutMs: 400 })),
          refusedWith('OUTBOUND_TIMEOUT', [slow.port]),
        );
        const took = Date.now() - started;
        assert.ok(took >= 350 && took < 3000, `${path}: ${took} ms`);
      }
    } finally {
      await slow.close();
      await allowed.close();
    }
  });

  it('says "unreachable" for a closed port and an unknown name, naming neither address nor port', async () => {
    const closed = await freePort();
    const operator = createOutboundClient();
    try {
      await assert.rejects(
        operator.request({
          url: `http://127.0.0.1:${closed}/x`,
          policy: 'operator',
          maxBytes: 1024,
          timeoutMs: 5000,
        }),
        refusedWith('OUTBOUND_UNREACHABLE', [closed]),
      );
      await assert.rejects(
        operator.request({
          url: `http://no-such-host.invalid:${closed}/`,
          policy: 'operator',
          maxBytes: 1024,
          timeoutMs: 5000,
        }),
        refusedWith('OUTBOUND_UNREACHABLE', [closed]),
      );
    } finally {
      await operator.close();
    }
  });
});

for (const kind of databaseKinds()) {
  describe(`tenant-configured URLs through the API never reach internal addresses, on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let internal: Internal;

    before(async () => {
      signet = await startTestSignet(kind);
      api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
      internal = await startInternal();
    });
    after(async () => {
      await internal?.close();
      await signet?.stop();
    });

    function assertProblem(response: { status: number; body: Record<string, unknown> }, code: string) {
      assert.ok(response.status >= 400 && response.status < 500, JSON.stringify(response.body));
      assert.equal(response.body.code, code, JSON.stringify(response.body));
      assertGeneric(String(response.body.detail ?? ''), [internal.port, Number(new URL(signet.url).port)]);
    }

    it('PUT /identity-providers/saml with a loopback metadata URL: a short generic 4xx, and no connection', async () => {
      const answered = await api.put('/api/v1/identity-providers/saml', {
        metadataUrl: `http://127.0.0.1:${internal.port}/dev/outbox?limit=500`,
      });
      assertProblem(answered, 'SAML_METADATA_UNREACHABLE');
      assert.equal(internal.connections, 0);
    });

    it('PUT /identity-providers/saml refuses every spelling of loopback alike', async () => {
      const port = internal.port;
      for (const url of [
        `http://localhost:${port}/m`,
        `http://[::1]:${port}/m`,
        `http://[::ffff:127.0.0.1]:${port}/m`,
        `http://0.0.0.0:${port}/m`,
        `http://2130706433:${port}/m`,
        `http://0x7f000001:${port}/m`,
        `http://0177.0.0.1:${port}/m`,
      ]) {
        assertProblem(
          await api.put('/api/v1/identity-providers/saml', { metadataUrl: url }),
          'SAML_METADATA_UNREACHABLE',
        );
      }
      assert.equal(internal.connections, 0);
    });

    it('PUT /identity-providers/saml on Signet’s own port: the dev outbox is not fetched', async () => {
      const own = new URL(signet.url);
      const answered = await api.put('/api/v1/identity-providers/saml', {
        metadataUrl: `http://127.0.0.1:${own.port}/dev/outbox?limit=500`,
      });
      assertProblem(answered, 'SAML_METADATA_UNREACHABLE');
    });

    it('PUT /identity-providers/oidc with a loopback issuer: a short generic 4xx, and no connection', async () => {
      for (const issuer of [
        `http://127.0.0.1:${internal.port}`,
        `http://localhost:${internal.port}/realms/x`,
      ]) {
        const answered = await api.put('/api/v1/identity-providers/oidc', {
          issuer,
          clientId: 'x',
          clientSecret: 'y',
        });
        assertProblem(answered, 'OIDC_DISCOVERY_REFUSED');
      }
      assert.equal(internal.connections, 0);
    });
  });

  describe(`what an allowed URL answers never comes back to the tenant, on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let internal: Internal;

    before(async () => {
      internal = await startInternal();
      // The operator allows the loopback peer, so the fetch happens: only the texts are tested.
      signet = await startTestSignet(kind, { OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1/32' });
      api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
    });
    after(async () => {
      await internal?.close();
      await signet?.stop();
    });

    it('a metadata URL answering something that is not metadata: SAML_METADATA_INVALID without the body', async () => {
      const answered = await api.put('/api/v1/identity-providers/saml', {
        metadataUrl: `http://127.0.0.1:${internal.port}/dev/outbox?limit=500`,
      });
      assert.equal(answered.status, 422, JSON.stringify(answered.body));
      assert.equal(answered.body.code, 'SAML_METADATA_INVALID');
      assertGeneric(String(answered.body.detail), [internal.port]);
      assert.ok(internal.connections > 0, 'the allowed peer was asked');
    });

    it('an issuer answering something that is not a discovery document: OIDC_DISCOVERY_FAILED without the body', async () => {
      const answered = await api.put('/api/v1/identity-providers/oidc', {
        issuer: `http://127.0.0.1:${internal.port}`,
        clientId: 'x',
        clientSecret: 'y',
      });
      assert.equal(answered.body.code, 'OIDC_DISCOVERY_FAILED', JSON.stringify(answered.body));
      assertGeneric(String(answered.body.detail), [internal.port]);
    });
  });
}
