import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as pkijs from 'pkijs';
import { loadOrCreateMasterKey } from '../../src/blobs/blobStore.ts';
import { createFileKeyStore } from '../../src/pki/fileKeyStore.ts';
import {
  extractSignatures,
  hasTool,
  installCommandFor,
  makeNssTrustStore,
  type NssTrustStore,
  runOpensslCmsVerify,
  runPdfsig,
} from '../peers/pdfValidators.ts';
import { createSoftHsmToken, type SoftHsmToken, softHsmMissing } from '../peers/softHsm.ts';
import {
  type ApiClient,
  apiClient,
  envelopeJson,
  latestTokenFor,
  openEveryDocument,
} from '../support/apiClient.ts';
import { CA_EXTENSIONS, createOpensslPki, type OpensslPki, opensslCrl } from '../support/opensslPki.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  freePort,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/*
 * Issue #13, "Production PKI", as an operator runs it: the `signet` command in real processes,
 * OpenSSL as the CA that sells a seal, SoftHSM2 as the HSM, a running installation that seals,
 * and pdfsig and `openssl cms -verify` as the relying parties, trusting only the root the
 * operator hands them.
 */

const bin = join(import.meta.dirname, '..', '..', 'bin', 'signet.mjs');
const PEERS = ['openssl', 'pdfsig', 'certutil'];
const PASSPHRASE = 'correct horse battery staple';

interface EnvelopeView {
  id: string;
  seal: { state: string; lastError: string | null };
}

/** The `signet` command in a process of its own, as an operator types it. */
function signetCli(cwd: string, env: Record<string, string>, ...args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: cwd, LOG_LEVEL: 'silent', NODE_ENV: 'test', ...env },
        encoding: 'utf8',
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

/** Runs `signet …` and parses its JSON, failing with what it said on stderr. */
async function signetJson<T = Record<string, unknown>>(
  cwd: string,
  env: Record<string, string>,
  ...args: string[]
) {
  const result = await signetCli(cwd, env, ...args);
  assert.equal(result.code, 0, `signet ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** One signer signs an envelope; the sealed PDF is returned once the seal job has run. */
async function sealedEnvelope(signet: TestSignet, api: ApiClient, text: string): Promise<Buffer> {
  const created = await api.post<EnvelopeView>(
    '/api/v1/envelopes?send=true',
    envelopeJson(await makePdf({ text })),
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const token = await eventually(async () => {
    try {
      return await latestTokenFor(api, 'sam@client.test');
    } catch {
      return undefined;
    }
  }, 'the invitation');
  const signer = apiClient(signet.app);
  await openEveryDocument(signer, token);
  await signer.post(`/api/v1/signing/${token}/consent`);
  const done = await signer.post(`/api/v1/signing/${token}/finish`, {
    signature: { kind: 'typed', text: 'Sam' },
  });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  await eventually(async () => {
    const view = (await api.get<EnvelopeView>(`/api/v1/envelopes/${created.body.id}`)).body;
    if (view.seal.state === 'failed') throw new Error(`seal failed: ${view.seal.lastError}`);
    return view.seal.state === 'done' ? view : undefined;
  }, 'the seal');
  const download = await api.get(`/api/v1/envelopes/${created.body.id}/download`);
  assert.equal(download.status, 200);
  return download.raw;
}

/** Every CAdES signature in `file` is valid and trusted by pdfsig, and by `openssl cms -verify` trusting `rootFile`. */
async function assertRelyingPartiesAccept(
  work: string,
  pdf: Buffer,
  name: string,
  trust: NssTrustStore,
  rootFile: string,
) {
  const file = join(work, `${name}.pdf`);
  writeFileSync(file, pdf);
  const report = await runPdfsig(file, trust.dir);
  const cades = report.filter((signature) => signature.subFilter === 'ETSI.CAdES.detached');
  assert.ok(cades.length >= 1, report.map((signature) => signature.raw).join('\n'));
  for (const signature of cades) {
    assert.ok(signature.signatureValid, signature.raw);
    assert.ok(signature.certificateTrusted, signature.raw);
  }
  const signatures = extractSignatures(new Uint8Array(pdf));
  for (const [index, signature] of signatures.slice(0, cades.length).entries()) {
    writeFileSync(join(work, `${name}-${index}.p7s`), signature.cms);
    writeFileSync(join(work, `${name}-${index}.bin`), signature.signedContent);
    const verified = await runOpensslCmsVerify(
      join(work, `${name}-${index}.p7s`),
      join(work, `${name}-${index}.bin`),
      rootFile,
    );
    assert.equal(verified.exitCode, 0, `openssl cms -verify, signature ${index}: ${verified.stderr}`);
  }
  return signatures;
}

/** The certificates a CMS SignedData carries, as subjects. */
function cmsCertificateSubjects(cms: Uint8Array): string[] {
  const signedData = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(cms).content });
  return (signedData.certificates ?? [])
    .filter((certificate) => certificate instanceof pkijs.Certificate)
    .map((certificate) =>
      new X509Certificate(new Uint8Array(certificate.toSchema().toBER())).subject.replace(/\n/g, ', '),
    );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

for (const kind of databaseKinds()) {
  describe(`an offline root CA set up with the signet command, on ${kind}`, () => {
    const work = mkdtempSync(join(tmpdir(), 'signet-offline-root-'));
    const dataDir = join(work, 'data');
    const offline = join(work, 'offline-root');
    /** The installation's environment; PUBLIC_URL is where it will listen, which the issuing CA certificate names. */
    let installation: Record<string, string>;
    /** The machine that keeps the root has no installation: whatever DATA_DIR it would use stays untouched. */
    const offlineMachine = { DATA_DIR: join(work, 'offline-machine-data') };
    const file = (name: string) => join(work, name);
    let signet: TestSignet | undefined;
    let trust: NssTrustStore | undefined;
    const skip = PEERS.filter((tool) => !hasTool(tool));

    before(async () => {
      const port = await freePort();
      installation = { DATA_DIR: dataDir, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` };
    });
    after(async () => {
      await signet?.stop();
      await trust?.cleanup();
      rmSync(work, { recursive: true, force: true });
    });

    it('makes the root away from the installation, certifies the issuing CA from its CSR, and installs both', {
      skip: skip.length > 0 && installCommandFor(skip),
    }, async () => {
      writeFileSync(file('passphrase.txt'), `${PASSPHRASE}\n`);
      const subject = 'CN=Acme Root CA,O=Acme GmbH,C=DE';
      const refused = await signetCli(
        work,
        offlineMachine,
        'ca',
        'init',
        '--out',
        offline,
        '--subject',
        subject,
      );
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /CLI_OPTION_REQUIRED: --offline is required/);
      const inside = await signetCli(
        work,
        installation,
        'ca',
        'init',
        '--offline',
        '--out',
        join(dataDir, 'root'),
        '--subject',
        subject,
        '--passphrase-file',
        file('passphrase.txt'),
      );
      assert.equal(inside.code, 1);
      assert.match(inside.stderr, /OFFLINE_CA_INSIDE_DATA_DIR/);

      const root = await signetJson<{ certificate: string; sha256: string }>(
        work,
        offlineMachine,
        'ca',
        'init',
        '--offline',
        '--out',
        offline,
        '--subject',
        subject,
        '--passphrase-file',
        file('passphrase.txt'),
      );
      assert.equal(root.certificate, join(offline, 'root-ca.crt.pem'));

      const request = await signetJson<{ generated: boolean; keyStore: string; publicKeySha256: string }>(
        work,
        installation,
        'ca',
        'csr',
        '--out',
        file('issuing.csr'),
        '--subject',
        'CN=Acme Issuing CA,O=Acme GmbH,C=DE',
      );
      assert.deepEqual([request.generated, request.keyStore], [true, 'file']);
      // Between the request and the import the installation will not start (it would make a development root).
      const pending = await signetCli(work, installation, 'ca-root');
      assert.equal(pending.code, 1);
      assert.match(pending.stderr, /CA_IMPORT_PENDING/);

      // On the offline machine, the passphrase from the environment this time.
      const signed = await signetJson<{ publicKeySha256: string; subject: string }>(
        work,
        { ...offlineMachine, OFFLINE_CA_PASSPHRASE: PASSPHRASE },
        'ca',
        'sign-csr',
        '--ca',
        offline,
        '--csr',
        file('issuing.csr'),
        '--out',
        file('issuing.pem'),
        '--public-url',
        installation.PUBLIC_URL ?? '',
      );
      assert.equal(
        signed.publicKeySha256,
        request.publicKeySha256,
        'the key the ceremony certified is the installation’s',
      );
      assert.equal(signed.subject, 'C=DE, O=Acme GmbH, CN=Acme Issuing CA');
      const crl = await signetJson<{ nextUpdate: string }>(
        work,
        offlineMachine,
        'ca',
        'crl',
        '--ca',
        offline,
        '--out',
        file('root.crl'),
        '--passphrase-file',
        file('passphrase.txt'),
      );
      assert.ok(Date.parse(crl.nextUpdate) > Date.now() + 170 * 86_400_000);

      assert.equal(existsSync(offlineMachine.DATA_DIR), false, 'the offline machine has no installation');
      const imported = await signetJson<{ root: { sha256: string }; rootCrl: unknown }>(
        work,
        installation,
        'ca',
        'import',
        '--chain',
        file('issuing.pem'),
        '--root',
        join(offline, 'root-ca.crt.pem'),
        '--root-crl',
        file('root.crl'),
      );
      assert.equal(imported.root.sha256, root.sha256);
      const printed = await signetCli(work, installation, 'ca-root');
      assert.equal(printed.code, 0, printed.stderr);
      assert.equal(printed.stdout.trim(), readFileSync(join(offline, 'root-ca.crt.pem'), 'utf8').trim());
    });

    it('then issues TSA and per-signer certificates that chain to the offline root, seals that pdfsig and OpenSSL accept, and keeps no root key', {
      skip: skip.length > 0 && installCommandFor(skip),
    }, async () => {
      signet = await startTestSignet(kind, installation);
      const rootPem = (await signet.app.inject({ method: 'GET', url: '/pki/root.pem' })).payload;
      assert.equal(rootPem.trim(), readFileSync(join(offline, 'root-ca.crt.pem'), 'utf8').trim());
      const servedCrl = await signet.app.inject({ method: 'GET', url: '/pki/crl/root.crl' });
      assert.deepEqual(
        servedCrl.rawPayload,
        readFileSync(file('root.crl')),
        'the root CRL is the one signed offline',
      );

      const verified = await new Promise<string>((resolve, reject) =>
        execFile(
          'openssl',
          [
            'verify',
            '-CAfile',
            join(offline, 'root-ca.crt.pem'),
            '-untrusted',
            file('issuing.pem'),
            join(dataDir, 'pki', 'tsa.crt.pem'),
          ],
          (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)),
        ),
      );
      assert.match(verified, /tsa\.crt\.pem: OK/);

      const api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
      const policy = await api.put('/api/v1/organization/signature-policy', {
        padesLevel: 'B-LTA',
        perSignerSignatures: true,
      });
      assert.equal(policy.status, 200, JSON.stringify(policy.body));
      const pdf = await sealedEnvelope(signet, api, 'Sealed under an offline root');
      trust = await makeNssTrustStore(rootPem);
      const signatures = await assertRelyingPartiesAccept(
        work,
        pdf,
        'offline-root',
        trust,
        join(offline, 'root-ca.crt.pem'),
      );
      const signerCertificates = cmsCertificateSubjects(signatures[0]?.cms ?? new Uint8Array());
      assert.ok(
        signerCertificates.some((subject) => subject.includes('Sam Signer')),
        signerCertificates.join(' | '),
      );
      assert.ok(
        signerCertificates.includes('C=DE, O=Acme GmbH, CN=Acme Issuing CA'),
        signerCertificates.join(' | '),
      );

      // No root key anywhere in DATA_DIR: not in the key store, not in a plaintext file.
      const rootKey = createPrivateKey({
        key: readFileSync(join(offline, 'root-ca.key.pem')),
        passphrase: PASSPHRASE,
      });
      const rootPublic = createPublicKey(rootKey);
      const keyStore = createFileKeyStore(join(dataDir, 'keys'), loadOrCreateMasterKey(dataDir, undefined));
      const labels = readdirSync(join(dataDir, 'keys')).map((name) => name.replace(/\.key\.sealed$/, ''));
      assert.ok(
        labels.includes('signet-issuing-ca') && !labels.includes('signet-root-ca'),
        labels.join(', '),
      );
      for (const label of labels) {
        const stored = await keyStore.open(label);
        assert.ok(stored);
        assert.ok(
          !createPublicKey({ key: Buffer.from(stored.publicKey), format: 'der', type: 'spki' }).equals(
            rootPublic,
          ),
          label,
        );
      }
      const rootKeyDer = rootKey.export({ type: 'pkcs8', format: 'der' });
      for (const path of filesUnder(dataDir)) {
        const content = readFileSync(path);
        assert.ok(!content.includes(rootKeyDer), `${path} holds the root key`);
        assert.ok(!content.toString('latin1').includes('PRIVATE KEY-----'), `${path} holds a plaintext key`);
      }
    });
  });

  describe(`a sealing key in SoftHSM2 certified by another CA (OpenSSL), on ${kind}`, () => {
    const work = mkdtempSync(join(tmpdir(), 'signet-token-seal-'));
    const dataDir = join(work, 'data');
    let token: SoftHsmToken | undefined;
    let ca: OpensslPki | undefined;
    let crlServer: Server | undefined;
    let signet: TestSignet | undefined;
    let trust: NssTrustStore | undefined;
    let installation: Record<string, string>;
    const crlsFetched = new Set<string>();
    const missing =
      softHsmMissing() ?? (PEERS.some((tool) => !hasTool(tool)) ? installCommandFor(PEERS) : undefined);

    before(async () => {
      if (missing) return;
      token = await createSoftHsmToken('signet-seal');
      const port = await freePort();
      installation = {
        DATA_DIR: dataDir,
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        PKCS11_MODULE: token.config.module,
        PKCS11_TOKEN_LABEL: token.config.tokenLabel,
        PKCS11_PIN: token.config.pin,
        SOFTHSM2_CONF: token.configFile,
      };
      // The CA publishes its CRLs over HTTP, as a real one does: B-LT seals embed them.
      const crls = new Map<string, Uint8Array>();
      crlServer = createServer((request, response) => {
        const crl = crls.get(request.url ?? '');
        crlsFetched.add(request.url ?? '');
        response.writeHead(crl ? 200 : 404, { 'content-type': 'application/pkix-crl' });
        response.end(crl);
      });
      await new Promise<void>((resolve) => crlServer?.listen(0, '127.0.0.1', resolve));
      const address = crlServer.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      ca = await createOpensslPki();
      await ca.issue('root', '/C=DE/O=Trust Services AG/CN=Trust Services Root', CA_EXTENSIONS);
      await ca.issue(
        'sub',
        '/C=DE/O=Trust Services AG/CN=Trust Services Seal CA',
        `${CA_EXTENSIONS}crlDistributionPoints=URI:${base}/root.crl\n`,
        'root',
      );
      // An empty CA database: nothing revoked.
      writeFileSync(ca.file('index.txt'), '');
      crls.set('/root.crl', await opensslCrl(ca, 'root'));
      crls.set('/sub.crl', await opensslCrl(ca, 'sub'));
      writeFileSync(
        ca.file('seal.ext'),
        `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\ncrlDistributionPoints=URI:${base}/sub.crl\n`,
      );
    });
    after(async () => {
      await signet?.stop();
      await trust?.cleanup();
      await new Promise((resolve) => (crlServer ? crlServer.close(resolve) : resolve(undefined)));
      await ca?.cleanup();
      await token?.cleanup();
      rmSync(work, { recursive: true, force: true });
    });

    it('makes a CSR with the token key, refuses a certificate for another key, and installs the chain the CA issued', {
      skip: missing ?? false,
    }, async () => {
      if (!ca) throw new Error('unreachable');
      const request = await signetJson<{ generated: boolean; keyStore: string; csr: string }>(
        work,
        installation,
        'keys',
        'csr',
        '--key',
        'signet-sealing',
        '--subject',
        'CN=Acme GmbH Document Seal,O=Acme GmbH,C=DE',
        '--out',
        join(work, 'seal.csr'),
      );
      assert.deepEqual([request.generated, request.keyStore], [true, 'pkcs11']);
      // The CA checks the request's proof of possession, then certifies it.
      const checked = await ca.openssl(
        'req',
        '-in',
        join(work, 'seal.csr'),
        '-verify',
        '-noout',
        '-subject',
        '-nameopt',
        'RFC2253',
      );
      assert.match(checked, /subject=CN=Acme GmbH Document Seal,O=Acme GmbH,C=DE/);
      await ca.openssl(
        'x509',
        '-req',
        '-in',
        join(work, 'seal.csr'),
        '-CA',
        ca.file('sub.pem'),
        '-CAkey',
        ca.file('sub.key'),
        '-CAcreateserial',
        '-days',
        '30',
        '-sha256',
        '-extfile',
        ca.file('seal.ext'),
        '-out',
        ca.file('seal.pem'),
      );
      const chain = ['seal', 'sub', 'root']
        .map((name) => readFileSync(ca!.file(`${name}.pem`), 'utf8'))
        .join('');
      writeFileSync(join(work, 'seal-chain.pem'), chain);

      // A certificate for a key that is not in the token: refused, nothing installed.
      await ca.issue(
        'stranger',
        '/CN=Acme GmbH Document Seal',
        'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n',
        'sub',
      );
      writeFileSync(
        join(work, 'stranger-chain.pem'),
        ['stranger', 'sub', 'root'].map((name) => readFileSync(ca!.file(`${name}.pem`), 'utf8')).join(''),
      );
      const mismatch = await signetCli(
        work,
        installation,
        'keys',
        'import-cert',
        '--key',
        'signet-sealing',
        '--chain',
        join(work, 'stranger-chain.pem'),
      );
      assert.equal(mismatch.code, 1);
      assert.match(
        mismatch.stderr,
        /KEY_CERTIFICATE_MISMATCH: no certificate given certifies the key "signet-sealing" in the key store \(pkcs11\)/,
      );
      const broken = await signetCli(
        work,
        installation,
        'keys',
        'import-cert',
        '--key',
        'signet-sealing',
        '--chain',
        ca.file('seal.pem'),
      );
      assert.equal(broken.code, 1);
      assert.match(broken.stderr, /CERTIFICATE_CHAIN_INVALID: no certificate given issued/);
      assert.equal(existsSync(join(dataDir, 'pki', 'chains', 'signet-sealing.chain.pem')), false);

      const imported = await signetJson<{ seals: boolean; chain: string[] }>(
        work,
        installation,
        'keys',
        'import-cert',
        '--key',
        'signet-sealing',
        '--chain',
        join(work, 'seal-chain.pem'),
      );
      assert.equal(imported.seals, true);
      assert.deepEqual(imported.chain, [
        'C=DE, O=Trust Services AG, CN=Trust Services Seal CA',
        'C=DE, O=Trust Services AG, CN=Trust Services Root',
      ]);
    });

    it('seals with the token key and the imported chain: pdfsig and OpenSSL trust it through the CA’s root alone', {
      skip: missing ?? false,
    }, async () => {
      if (!ca) throw new Error('unreachable');
      signet = await startTestSignet(kind, installation);
      const rootPem = (await signet.app.inject({ method: 'GET', url: '/pki/root.pem' })).payload;
      assert.equal(
        rootPem.trim(),
        readFileSync(ca.file('root.pem'), 'utf8').trim(),
        'relying parties trust the CA’s root',
      );

      const api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
      const pdf = await sealedEnvelope(signet, api, 'Sealed with a bought certificate');
      trust = await makeNssTrustStore(rootPem);
      const [seal] = await assertRelyingPartiesAccept(work, pdf, 'token-seal', trust, ca.file('root.pem'));
      // B-LTA, the default: the validation data holds the CA's own CRLs, fetched where its certificates say.
      assert.deepEqual([...crlsFetched].sort(), ['/root.crl', '/sub.crl']);
      assert.deepEqual(cmsCertificateSubjects(seal?.cms ?? new Uint8Array()), [
        'C=DE, O=Acme GmbH, CN=Acme GmbH Document Seal',
        'C=DE, O=Trust Services AG, CN=Trust Services Seal CA',
      ]);
    });
  });
}
