import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { hasTool, runTool } from '../../../test/peers/pdfValidators.ts';
import { freePort } from '../../../test/support/signetHarness.ts';
import { type DevPki, loadOrCreateDevPki } from '../devCa.ts';
import { createDevTsa, SIGNET_TSA_POLICY_OID, type TimeStampAuthority } from './devTsa.ts';
import { createTsaClient, LOCAL_TSA_URL } from './tsaClient.ts';
import { TSP_OID } from './tsp.ts';

/*
 * The dev TSA checked by `openssl ts -verify`, and the TSA client against OpenSSL's own TSA
 * (`openssl ts -reply` behind a small HTTP server on 127.0.0.1), the way TESTING.md asks.
 */

const OPENSSL_MISSING = 'apt-get install -y openssl';
const run = promisify(execFile);

let work: string;
let pki: DevPki;
let devTsa: TimeStampAuthority;
const file = (name: string) => join(work, name);
const sha256 = (data: string | Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-tsa-'));
  pki = await loadOrCreateDevPki(join(work, 'pki'));
  devTsa = createDevTsa({ identity: pki.tsa });
  await writeFile(file('root.pem'), pki.rootPem);
  await writeFile(file('issuing.pem'), pemOf(pki.issuingCa.certificate));
  await writeFile(file('tsa-chain.pem'), pemOf(pki.tsa.certificate) + pemOf(pki.issuingCa.certificate));
  await writeFile(file('document.txt'), 'a document worth time-stamping');
});
after(() => rm(work, { recursive: true, force: true }));

function pemOf(der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${base64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

async function devTsaReply(queryArgs: string[]): Promise<void> {
  const query = await runTool('openssl', [
    'ts',
    '-query',
    '-data',
    file('document.txt'),
    ...queryArgs,
    '-out',
    file('q.tsq'),
  ]);
  assert.equal(query.exitCode, 0, query.stderr);
  await writeFile(file('r.tsr'), await devTsa.respond(new Uint8Array(await readFile(file('q.tsq')))));
}

function signedDataOf(token: Uint8Array): pkijs.SignedData {
  const contentInfo = pkijs.ContentInfo.fromBER(token);
  return new pkijs.SignedData({ schema: contentInfo.content });
}

describe('the dev TSA', () => {
  it('answers a query with the certificate requested so that `openssl ts -verify` reports OK', async (t) => {
    if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
    await devTsaReply(['-sha256', '-cert']);
    const verified = await runTool('openssl', [
      'ts',
      '-verify',
      '-in',
      file('r.tsr'),
      '-queryfile',
      file('q.tsq'),
      '-CAfile',
      file('root.pem'),
      '-untrusted',
      file('issuing.pem'),
    ]);
    assert.equal(verified.exitCode, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /^Verification: OK$/m);
    const text = await runTool('openssl', ['ts', '-reply', '-in', file('r.tsr'), '-text']);
    assert.match(text.stdout, /Status: Granted\./);
    assert.match(text.stdout, new RegExp(`Policy OID: ${SIGNET_TSA_POLICY_OID.replace(/\./g, '\\.')}`));
    assert.match(text.stdout, /Nonce: 0x[0-9A-F]+/);
    assert.match(text.stdout, /Accuracy: 0x01 seconds/);
  });

  it('leaves the certificates out when the query does not ask for them; the chain verifies from outside', async (t) => {
    if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
    await devTsaReply(['-sha256', '-no_nonce']);
    const response = pkijs.TimeStampResp.fromBER(await readFile(file('r.tsr')));
    assert.ok(response.timeStampToken);
    const signedData = new pkijs.SignedData({ schema: response.timeStampToken.content });
    assert.equal(signedData.certificates, undefined);
    const verified = await runTool('openssl', [
      'ts',
      '-verify',
      '-in',
      file('r.tsr'),
      '-queryfile',
      file('q.tsq'),
      '-CAfile',
      file('root.pem'),
      '-untrusted',
      file('tsa-chain.pem'),
    ]);
    assert.match(verified.stdout, /^Verification: OK$/m, verified.stderr);
  });

  it('signs signing-certificate-v2 and no signing-time (RFC 5816, EN 319 422)', async () => {
    const client = createTsaClient({ urls: [], timeoutMs: 1000, attemptsPerUrl: 1, localTsa: devTsa });
    const { token } = await client.timestamp(sha256('attributes'));
    const [signerInfo] = signedDataOf(token).signerInfos;
    const types = signerInfo?.signedAttrs?.attributes.map((a) => a.type) ?? [];
    assert.ok(types.includes(TSP_OID.signingCertificateV2));
    assert.ok(!types.includes('1.2.840.113549.1.9.5'), 'signing-time present');
    assert.ok(types.includes(TSP_OID.contentType) && types.includes(TSP_OID.messageDigest));
  });

  it('rejects a SHA-1 imprint with status rejection and failure info badAlg', async (t) => {
    if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
    await devTsaReply(['-sha1', '-cert']);
    const text = await runTool('openssl', ['ts', '-reply', '-in', file('r.tsr'), '-text']);
    assert.match(text.stdout, /Status: Rejected\./);
    assert.match(text.stdout, /unrecognized or unsupported algorithm identifier/);
    assert.match(text.stdout, /TST info:\s+Not included\./);
  });

  it('answers garbage with a rejection (badDataFormat), not an error', async () => {
    const response = pkijs.TimeStampResp.fromBER(await devTsa.respond(new Uint8Array([1, 2, 3])));
    assert.equal(response.status.status, 2);
    assert.ok(response.status.failInfo);
    assert.equal(response.timeStampToken, undefined);
  });
});

/** OpenSSL's TSA: its own CA, a TSA certificate with critical timeStamping, `openssl ts -reply` per request. */
interface OpensslTsa {
  caPem: string;
  reply(query: Buffer): Promise<Buffer>;
}

async function makeOpensslTsa(dir: string): Promise<OpensslTsa> {
  const p = (name: string) => join(dir, name);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.pem'),
    '-subj',
    '/CN=Peer TSA Root',
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    p('tsa.key'),
    '-out',
    p('tsa.csr'),
    '-subj',
    '/CN=Peer TSA',
  ]);
  await writeFile(
    p('tsa.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n',
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    p('tsa.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    p('tsa.ext'),
    '-out',
    p('tsa.pem'),
  ]);
  await writeFile(p('tsaserial'), '01\n');
  await writeFile(
    p('tsa.cnf'),
    [
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `serial = ${p('tsaserial')}`,
      'crypto_device = builtin',
      'signer_digest = sha256',
      'default_policy = 1.2.3.4.1',
      'digests = sha256',
      'accuracy = secs:1',
      'ordering = no',
      'tsa_name = no',
      'ess_cert_id_chain = no',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );
  let counter = 0;
  return {
    caPem: await readFile(p('ca.pem'), 'utf8'),
    async reply(query) {
      const id = counter++;
      await writeFile(p(`q${id}.tsq`), query);
      await run('openssl', [
        'ts',
        '-reply',
        '-config',
        p('tsa.cnf'),
        '-queryfile',
        p(`q${id}.tsq`),
        '-inkey',
        p('tsa.key'),
        '-signer',
        p('tsa.pem'),
        '-out',
        p(`r${id}.tsr`),
      ]);
      return readFile(p(`r${id}.tsr`));
    },
  };
}

type Behaviour = 'answer' | 'hang' | 'wrong-imprint' | 'http-500';

/** A tiny HTTP front for OpenSSL's TSA on an ephemeral loopback port. */
async function tsaServer(
  tsa: OpensslTsa,
  behaviour: Behaviour,
): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      hits++;
      if (behaviour === 'hang') return; // never answers
      if (behaviour === 'http-500') {
        response.writeHead(500).end();
        return;
      }
      let query = Buffer.concat(chunks);
      if (behaviour === 'wrong-imprint') {
        // A well-formed, correctly signed token — for someone else's document.
        const other = pkijs.TimeStampReq.fromBER(query);
        other.messageImprint.hashedMessage = new asn1js.OctetString({ valueHex: randomBytes(32) });
        query = Buffer.from(other.toSchema().toBER());
      }
      const reply = await tsa.reply(query);
      response.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/tsa`, server, hits: () => hits };
}

describe('the TSA client', () => {
  let peer: OpensslTsa;
  const servers: Server[] = [];
  const serve = async (behaviour: Behaviour) => {
    const started = await tsaServer(peer, behaviour);
    servers.push(started.server);
    return started;
  };

  before(async () => {
    if (!hasTool('openssl')) return;
    peer = await makeOpensslTsa(await mkdtemp(join(work, 'peer-')));
    await writeFile(file('peer-ca.pem'), peer.caPem);
  });
  after(() => {
    for (const server of servers) server.closeAllConnections();
    return Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  const verifyToken = (token: Uint8Array, imprint: Uint8Array, ca: string, untrusted?: string) =>
    writeFile(file('token.der'), token).then(() =>
      runTool('openssl', [
        'ts',
        '-verify',
        '-in',
        file('token.der'),
        '-token_in',
        '-digest',
        Buffer.from(imprint).toString('hex'),
        '-CAfile',
        ca,
        ...(untrusted ? ['-untrusted', untrusted] : []),
      ]),
    );

  it('uses the built-in TSA in-process when no URL is configured', async (t) => {
    const client = createTsaClient({ urls: [], timeoutMs: 1000, attemptsPerUrl: 1, localTsa: devTsa });
    const imprint = sha256('local');
    const before = Math.floor(Date.now() / 1000) * 1000;
    const stamp = await client.timestamp(imprint);
    assert.equal(stamp.tsaUrl, LOCAL_TSA_URL);
    assert.ok(stamp.genTime.getTime() >= before && stamp.genTime.getTime() <= Date.now());
    if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
    const verified = await verifyToken(stamp.token, imprint, file('root.pem'), file('issuing.pem'));
    assert.match(verified.stdout, /^Verification: OK$/m, verified.stderr);
  });

  it("fails over from a dead URL to OpenSSL's TSA and returns a token OpenSSL verifies", async (t) => {
    if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
    const dead = `http://127.0.0.1:${await freePort()}/tsa`;
    const live = await serve('answer');
    const client = createTsaClient({ urls: [dead, live.url], timeoutMs: 5000, attemptsPerUrl: 2 });
    const imprint = sha256('failover');
    const stamp = await client.timestamp(imprint);
    assert.equal(stamp.tsaUrl, live.url);
    assert.equal(live.hits(), 1);
    const verified = await verifyToken(stamp.token, imprint, file('peer-ca.pem'));
    assert.match(verified.stdout, /^Verification: OK$/m, verified.stderr);
  });

  it('gives up on a TSA that does not answer within the timeout, per attempt, and says so', async (t) => {
    if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
    const silent = await serve('hang');
    const client = createTsaClient({ urls: [silent.url], timeoutMs: 300, attemptsPerUrl: 2 });
    const started = Date.now();
    await assert.rejects(client.timestamp(sha256('hang')), (error: { code: string; detail: string }) => {
      assert.equal(error.code, 'TSA_UNAVAILABLE');
      assert.match(error.detail, /attempt 1\): timed out/);
      assert.match(error.detail, /attempt 2\): timed out/);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 600 && elapsed < 3000, `took ${elapsed} ms`);
    assert.equal(silent.hits(), 2);
  });

  it('refuses a correctly signed token for another imprint, and moves on to the next TSA', async (t) => {
    if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
    const liar = await serve('wrong-imprint');
    const client = createTsaClient({ urls: [liar.url], timeoutMs: 5000, attemptsPerUrl: 3 });
    await assert.rejects(client.timestamp(sha256('mine')), {
      code: 'TSA_UNAVAILABLE',
      detail: /different imprint/,
    });
    assert.equal(liar.hits(), 1, 'a TSA that sent a bad token is not asked again');

    const honest = await serve('answer');
    const withFallback = createTsaClient({
      urls: [liar.url, honest.url],
      timeoutMs: 5000,
      attemptsPerUrl: 1,
    });
    assert.equal((await withFallback.timestamp(sha256('mine'))).tsaUrl, honest.url);
  });

  it("lists every URL's failure when none gives a token — never a made-up time", async (t) => {
    if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
    const broken = await serve('http-500');
    const dead = `http://127.0.0.1:${await freePort()}/tsa`;
    const client = createTsaClient({
      urls: [broken.url, dead],
      timeoutMs: 2000,
      attemptsPerUrl: 1,
      localTsa: devTsa,
    });
    await assert.rejects(client.timestamp(sha256('nothing')), (error: { code: string; detail: string }) => {
      assert.equal(error.code, 'TSA_UNAVAILABLE');
      assert.ok(error.detail.includes(`${broken.url} (attempt 1): HTTP 500`), error.detail);
      // The outbound module's words, not the system's (ECONNREFUSED 127.0.0.1:port).
      assert.ok(error.detail.includes(`${dead} (attempt 1): unreachable`), error.detail);
      assert.doesNotMatch(error.detail, /ECONN/);
      assert.ok(!error.detail.includes(LOCAL_TSA_URL), 'the built-in TSA is no fallback for configured ones');
      return true;
    });
  });
});
