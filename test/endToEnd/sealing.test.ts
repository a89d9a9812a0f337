import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sealEnvelope } from '../../src/envelopes/sealing.ts';
import { loadOrCreateDevPki } from '../../src/pki/devCa.ts';
import {
  extractSignatures,
  hasTool,
  makeNssTrustStore,
  runOpensslCmsVerify,
  runPdfsig,
} from '../peers/pdfValidators.ts';
import {
  type ApiClient,
  apiClient,
  envelopeJson,
  latestTokenFor,
  openEveryDocument,
} from '../support/apiClient.ts';
import { exportDevPkiKey } from '../support/devPkiFixture.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

interface EnvelopeView {
  id: string;
  status: string;
  documents: { sha256: string }[];
  seal: { state: string; attempts: number; lastError: string | null; sha256: string | null };
}

/** `afterReading` runs once the signer has read the documents, before they finish. */
async function signAll(signet: TestSignet, api: ApiClient, afterReading = () => {}) {
  const token = await latestTokenFor(api, 'sam@client.test');
  const signer = apiClient(signet.app);
  await openEveryDocument(signer, token);
  afterReading();
  await signer.post(`/api/v1/signing/${token}/consent`);
  const done = await signer.post(`/api/v1/signing/${token}/finish`, {
    signature: { kind: 'typed', text: 'Sam' },
  });
  assert.equal(done.status, 200, JSON.stringify(done.body));
}

const waitForSeal = (api: ApiClient, id: string, state: string) =>
  eventually(async () => {
    const envelope = (await api.get<EnvelopeView>(`/api/v1/envelopes/${id}`)).body;
    return envelope.seal.state === state ? envelope : undefined;
  }, `seal state ${state}`);

/** Sealing is a job: visible when it fails, retried from the originals, idempotent (SPEC §C, issue #2). */
for (const kind of databaseKinds()) {
  describe(`the sealing job on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;

    before(async () => {
      signet = await startTestSignet(kind);
      api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
    });
    after(() => signet?.stop());

    it('shows a failed seal to operators, then succeeds on retry once the original is readable again', async () => {
      const created = await api.post<EnvelopeView>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf({ text: 'Retry' })),
      );
      const sha = created.body.documents[0]!.sha256;
      const blob = join(signet.dataDir, 'blobs', sha.slice(0, 2), sha.slice(2, 4), sha);
      const good = readFileSync(blob);
      const broken = Buffer.from(good);
      broken[broken.length - 1]! ^= 0xff;

      await signAll(signet, api, () => writeFileSync(blob, broken));
      const failed = await waitForSeal(api, created.body.id, 'failed');
      assert.equal(failed.status, 'completed');
      assert.match(failed.seal.lastError ?? '', /does not match|authentication/);
      assert.ok(failed.seal.attempts >= 1);
      assert.equal(
        (await api.get<{ code: string }>(`/api/v1/envelopes/${created.body.id}/download`)).body.code,
        'ENVELOPE_NOT_SEALED',
      );

      writeFileSync(blob, good);
      const sealed = await waitForSeal(api, created.body.id, 'done');
      assert.ok(sealed.seal.attempts >= 2);
      assert.equal(sealed.seal.lastError, null);
      assert.equal((await api.get(`/api/v1/envelopes/${created.body.id}/download`)).status, 200);
    });

    it('does nothing when a sealed envelope is sealed again', async () => {
      const created = await api.post<EnvelopeView>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf({ text: 'Once' })),
      );
      await signAll(signet, api);
      const sealed = await waitForSeal(api, created.body.id, 'done');
      // The completed mails go out after the seal, each adding a mail.sent event: count once
      // they all have.
      await eventually(async () => {
        const [queued] = await signet.platform.db.query<{ n: number }>(
          `select count(*)::int as n from mail_messages where envelope_id = $1 and state = 'queued'`,
          [created.body.id],
        );
        return queued?.n === 0 ? true : undefined;
      }, 'the completed mails to be sent');
      const events = async () =>
        (await api.get<{ events: unknown[] }>(`/api/v1/envelopes/${created.body.id}/audit`)).body.events
          .length;
      const before = await events();
      await sealEnvelope(signet.platform, created.body.id);
      const again = (await api.get<EnvelopeView>(`/api/v1/envelopes/${created.body.id}`)).body;
      assert.equal(again.seal.sha256, sealed.seal.sha256);
      assert.equal(again.seal.attempts, sealed.seal.attempts);
      assert.equal(await events(), before);
    });
  });
}

describe('sealing with a PKCS#12 named in the configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-p12-'));
  let signet: TestSignet | undefined;
  after(async () => {
    await signet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seals with that key and publishes its root', async (t) => {
    if (!hasTool('openssl')) return t.skip('apt-get install -y openssl');
    // A CA the installation did not generate itself, packed as an operator would.
    await loadOrCreateDevPki(join(dir, 'ca'));
    const pem = (name: string) => readFileSync(join(dir, 'ca', name), 'utf8');
    writeFileSync(join(dir, 'chain.pem'), pem('issuing-ca.crt.pem') + pem('root-ca.crt.pem'));
    execFileSync('openssl', [
      'pkcs12',
      '-export',
      '-inkey',
      await exportDevPkiKey(join(dir, 'ca'), 'signet-sealing', join(dir, 'sealing.key.pem')),
      '-in',
      join(dir, 'ca', 'sealing.crt.pem'),
      '-certfile',
      join(dir, 'chain.pem'),
      '-passout',
      'pass:correct horse',
      '-out',
      join(dir, 'seal.p12'),
    ]);
    signet = await startTestSignet('pglite', {
      SEAL_PKCS12_PATH: join(dir, 'seal.p12'),
      SEAL_PKCS12_PASSWORD: 'correct horse',
    });
    const root = await (await fetch(`${signet.url}/pki/root.pem`)).text();
    const fingerprint = (p: string) =>
      spawnSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: p, encoding: 'utf8' })
        .stdout;
    assert.equal(fingerprint(root), fingerprint(pem('root-ca.crt.pem')));

    const api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
    // This operator CA's OCSP responder (named in its certificates) is not running in the test,
    // so B-LT data cannot be fetched for it; B-T still needs Signet's TSA.
    assert.equal((await api.put('/api/v1/organization/signature-policy', { padesLevel: 'B-T' })).status, 200);
    const created = await api.post<EnvelopeView>(
      '/api/v1/envelopes?send=true',
      envelopeJson(await makePdf()),
    );
    await signAll(signet, api);
    await waitForSeal(api, created.body.id, 'done');
    const file = join(dir, 'sealed.pdf');
    writeFileSync(file, (await api.get(`/api/v1/envelopes/${created.body.id}/download`)).raw);
    if (!hasTool('pdfsig') || !hasTool('certutil'))
      return t.skip('apt-get install -y poppler-utils libnss3-tools');
    const store = await makeNssTrustStore(pem('root-ca.crt.pem'));
    try {
      const [seal] = await runPdfsig(file, store.dir);
      assert.ok(seal?.signatureValid && seal.totalDocumentSigned, seal?.raw);
      // This operator CA names an OCSP responder nobody runs here; poppler then says "Unknown
      // issue" instead of a trust verdict (see test/peers/pdfValidators.ts), so OpenSSL judges
      // the chain up to the operator's root.
      assert.ok(seal.certificateTrusted || /Certificate Validation: Unknown issue/.test(seal.raw), seal.raw);
    } finally {
      await store.cleanup();
    }
    const sealed = readFileSync(file);
    const embedded = extractSignatures(sealed).at(-1);
    assert.ok(embedded);
    writeFileSync(join(dir, 'seal.p7s'), embedded.cms);
    writeFileSync(join(dir, 'seal.signed.bin'), embedded.signedContent);
    writeFileSync(join(dir, 'root.pem'), pem('root-ca.crt.pem'));
    const verified = await runOpensslCmsVerify(
      join(dir, 'seal.p7s'),
      join(dir, 'seal.signed.bin'),
      join(dir, 'root.pem'),
    );
    assert.equal(verified.exitCode, 0, verified.stderr);
  });

  it('refuses to start with a wrong PKCS#12 password', async () => {
    if (!hasTool('openssl')) return;
    await assert.rejects(
      startTestSignet('pglite', { SEAL_PKCS12_PATH: join(dir, 'seal.p12'), SEAL_PKCS12_PASSWORD: 'wrong' }),
      /PKCS12_INVALID/,
    );
  });
});
