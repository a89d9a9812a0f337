import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import * as pkijs from 'pkijs';
import { hasTool, runTool } from '../../test/peers/pdfValidators.ts';
import {
  createPostgresDatabase,
  databaseKinds,
  freePort,
  pgliteTemplate,
} from '../../test/support/signetHarness.ts';
import { DEVELOPMENT_CERTIFICATE_POLICY_OID, loadConfig } from '../config/config.ts';
import { type RunningSignet, startSignet } from '../main.ts';
import { policiesOf } from './certificateFields.ts';
import { generatePrivateKey } from './fileKeyStore.ts';
import { subjectPublicKeyOf } from './issue.ts';
import { createValidationDataCollector } from './revocation/validationData.ts';
import { SIGNER_CERTIFICATE_BACKDATE_MS } from './signerCertificate.ts';

/*
 * Signet's CA services as relying parties meet them: over HTTP, checked by OpenSSL's own OCSP
 * client, CRL and time-stamp verifiers; revocation through the `signet` command an operator runs.
 */

const bin = join(import.meta.dirname, '..', '..', 'bin', 'signet.mjs');
const OPENSSL_MISSING = 'apt-get install -y openssl';

for (const kind of databaseKinds()) {
  describe(`Signet's CA services on ${kind}`, () => {
    const work = mkdtempSync(join(tmpdir(), 'signet-ca-'));
    const dataDir = join(work, 'data');
    const file = (name: string) => join(work, name);
    let env: Record<string, string>;
    let signet: RunningSignet | undefined;
    let dropDatabase: (() => Promise<void>) | undefined;
    let signer: { certificate: Uint8Array; chain: Uint8Array[]; serialNumber: string };

    /** Starts (or restarts) Signet on the same data directory, database and port. */
    const start = async (template?: Blob) => {
      const config = loadConfig(env);
      signet = await startSignet(config, {
        logger: pino({ level: 'silent' }),
        pgliteTemplate: template,
        bootstrap: false,
      });
      return signet;
    };
    const url = () => env.PUBLIC_URL as string;
    const openssl = (args: string[]) => runTool('openssl', args);

    before(async () => {
      const port = await freePort();
      env = {
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        LOG_LEVEL: 'silent',
      };
      if (kind === 'postgres') {
        const database = await createPostgresDatabase();
        env.DATABASE_URL = database.url;
        dropDatabase = database.drop;
      }
      const running = await start(kind === 'pglite' ? await pgliteTemplate() : undefined);
      const pki = running.platform.pki;
      writeFileSync(file('root.pem'), new X509Certificate(pki.authority.rootDer).toString());
      writeFileSync(file('issuing.pem'), new X509Certificate(pki.authority.issuingDer).toString());
      writeFileSync(
        file('chain.pem'),
        new X509Certificate(pki.authority.rootDer).toString() +
          new X509Certificate(pki.authority.issuingDer).toString(),
      );
      writeFileSync(
        file('tsa.pem'),
        new X509Certificate(readFileSync(join(dataDir, 'pki', 'tsa.crt.pem'))).toString(),
      );
    });

    after(async () => {
      await signet?.close();
      await dropDatabase?.();
      rmSync(work, { recursive: true, force: true });
    });

    it('publishes the root and issuing CA certificates as DER and the root as PEM', async () => {
      const pki = signet!.platform.pki;
      const root = await fetch(`${url()}/pki/root-ca.crt`);
      assert.equal(root.headers.get('content-type'), 'application/pkix-cert');
      assert.deepEqual(new Uint8Array(await root.arrayBuffer()), pki.authority.rootDer);
      const issuing = await fetch(`${url()}/pki/issuing-ca.crt`);
      assert.deepEqual(new Uint8Array(await issuing.arrayBuffer()), pki.authority.issuingDer);
      assert.equal(await (await fetch(`${url()}/pki/root.pem`)).text(), pki.rootPem);
    });

    it('answers OpenSSL\'s OCSP client "good" for the sealing certificate, signed by the delegated responder, nonce echoed', async (t) => {
      if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
      const result = await openssl([
        'ocsp',
        '-issuer',
        file('issuing.pem'),
        '-cert',
        join(dataDir, 'pki', 'sealing.crt.pem'),
        '-url',
        `${url()}/pki/ocsp`,
        '-CAfile',
        file('root.pem'),
        '-resp_text',
      ]);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stderr, /^Response verify OK$/m);
      assert.match(result.stdout, /sealing\.crt\.pem: good$/m);
      assert.match(result.stdout, /Responder Id: [0-9A-F]{40}/);
      assert.match(result.stdout, /OCSP Nonce/);
      assert.doesNotMatch(result.stdout + result.stderr, /WARNING: no nonce/);
      assert.match(result.stdout, /Next Update:/);
    });

    it('answers the GET form of RFC 6960 §A.1, base64 with slashes and all', async (t) => {
      if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
      // A nonce makes each request different; keep one whose base64 holds a '/' (nearly every one does).
      let base64 = '';
      for (let i = 0; i < 20 && !base64.includes('/'); i++) {
        const made = await openssl([
          'ocsp',
          '-issuer',
          file('issuing.pem'),
          '-cert',
          join(dataDir, 'pki', 'tsa.crt.pem'),
          '-reqout',
          file('get.req'),
        ]);
        assert.equal(made.exitCode, 0, made.stderr);
        base64 = readFileSync(file('get.req')).toString('base64');
      }
      assert.ok(base64.includes('/'));
      const response = await fetch(`${url()}/pki/ocsp/${encodeURIComponent(base64)}`);
      assert.equal(response.headers.get('content-type'), 'application/ocsp-response');
      writeFileSync(file('get.resp'), new Uint8Array(await response.arrayBuffer()));
      const read = await openssl([
        'ocsp',
        '-reqin',
        file('get.req'),
        '-respin',
        file('get.resp'),
        '-CAfile',
        file('root.pem'),
        '-verify_other',
        file('issuing.pem'),
        '-resp_text',
      ]);
      // With -reqin OpenSSL also checks that the response echoes the request's nonce.
      assert.match(read.stderr, /^Response verify OK$/m);
      assert.match(read.stdout, /Cert Status: good/);
    });

    it('refuses to speak for the issuing CA itself ("unauthorized"): its status is in the root CRL', async (t) => {
      if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
      const result = await openssl([
        'ocsp',
        '-issuer',
        file('root.pem'),
        '-cert',
        file('issuing.pem'),
        '-url',
        `${url()}/pki/ocsp`,
        '-CAfile',
        file('root.pem'),
      ]);
      assert.match(result.stdout + result.stderr, /Responder Error: unauthorized \(6\)/);
    });

    it('issues a year-long certificate for a signer, naming the person, the e-mail and the envelope', async (t) => {
      const privateKey = await generatePrivateKey('rsa-sha256');
      const envelopeId = '5f0c2b9e-6a43-4a8e-9d1f-0c1d2e3f4a5b';
      const before = Date.now();
      signer = await signet!.platform.pki.issueSignerCertificate({
        name: 'Zoë Ångström',
        email: 'zoe@example.test',
        envelopeId,
        publicKey: subjectPublicKeyOf(privateKey),
      });
      const view = new X509Certificate(signer.certificate);
      assert.equal(view.subject, 'CN=Zoë Ångström');
      assert.equal(view.subjectAltName, 'email:zoe@example.test');
      // Node reports the EKU here: id-kp-documentSigning, then emailProtection.
      assert.deepEqual(view.keyUsage, ['1.3.6.1.5.5.7.3.36', '1.3.6.1.5.5.7.3.4']);
      assert.deepEqual(policiesOf(pkijs.Certificate.fromBER(signer.certificate)), [
        { oid: DEVELOPMENT_CERTIFICATE_POLICY_OID, explicitText: `Signet envelope ${envelopeId}` },
      ]);
      assert.equal(view.serialNumber.toLowerCase().replace(/^0+/, ''), signer.serialNumber);
      const lifetime = Date.parse(view.validTo) - Date.parse(view.validFrom);
      assert.ok(
        Math.abs(lifetime - 365 * 86_400_000 - SIGNER_CERTIFICATE_BACKDATE_MS) < 2000,
        `lifetime ${lifetime}`,
      );
      assert.ok(Date.parse(view.validFrom) <= before);
      assert.deepEqual(signer.chain, [
        signet!.platform.pki.authority.issuingDer,
        signet!.platform.pki.authority.rootDer,
      ]);
      writeFileSync(file('signer.pem'), view.toString());

      if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
      const verified = await openssl([
        'verify',
        '-x509_strict',
        '-purpose',
        'smimesign',
        '-CAfile',
        file('root.pem'),
        '-untrusted',
        file('issuing.pem'),
        file('signer.pem'),
      ]);
      assert.equal(verified.exitCode, 0, verified.stdout + verified.stderr);
      const status = await openssl([
        'ocsp',
        '-issuer',
        file('issuing.pem'),
        '-cert',
        file('signer.pem'),
        '-url',
        `${url()}/pki/ocsp`,
        '-CAfile',
        file('root.pem'),
      ]);
      assert.match(status.stdout, /signer\.pem: good$/m);
    });

    it('collects OCSP responses and CRLs over real HTTP, verified, and reuses them from its cache', async () => {
      const pki = signet!.platform.pki;
      // No in-process shortcut: this collector only has the network.
      const collector = createValidationDataCollector({ timeoutMs: 5000 });
      const chain = [signer.certificate, ...signer.chain];
      const tsaChain = [
        readPem(join(dataDir, 'pki', 'tsa.crt.pem')),
        pki.authority.issuingDer,
        pki.authority.rootDer,
      ];
      const data = await collector.collect([...chain, ...tsaChain]);
      // Signer and TSA by OCSP (2), issuing CA by the root CRL; both CRLs.
      assert.equal(data.ocspResponses.length, 2);
      assert.equal(data.crls.length, 2);
      const fingerprints = new Set(data.certificates.map(sha256));
      for (const der of [...chain, ...tsaChain]) assert.ok(fingerprints.has(sha256(der)));
      assert.equal(data.certificates.length, 5, 'the four given plus the OCSP responder certificate');
      assert.deepEqual(collector.counters(), { ocspHits: 0, ocspMisses: 2, crlHits: 1, crlMisses: 2 });

      await collector.collect(chain);
      assert.deepEqual(collector.counters(), { ocspHits: 1, ocspMisses: 2, crlHits: 3, crlMisses: 2 });
      for (const crl of data.crls) pkijs.CertificateRevocationList.fromBER(crl); // DER CertificateLists
    });

    it('revokes a certificate with `signet revoke-certificate`, then OCSP says revoked and the issuing CRL lists it', async (t) => {
      // The embedded database admits one process at a time: the operator stops the server first.
      await signet?.close();
      const revoked = runSignet(env, [
        'revoke-certificate',
        signer.serialNumber.toUpperCase(),
        '--reason',
        'keyCompromise',
      ]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal(JSON.parse(revoked.stdout).revocationReason, 'keyCompromise');
      const again = runSignet(env, ['revoke-certificate', signer.serialNumber]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /CERTIFICATE_ALREADY_REVOKED/);
      const unknown = runSignet(env, ['revoke-certificate', 'abcdef']);
      assert.match(unknown.stderr, /CERTIFICATE_NOT_FOUND/);
      await start();

      if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
      const status = await openssl([
        'ocsp',
        '-issuer',
        file('issuing.pem'),
        '-cert',
        file('signer.pem'),
        '-url',
        `${url()}/pki/ocsp`,
        '-CAfile',
        file('root.pem'),
      ]);
      assert.match(status.stderr, /^Response verify OK$/m);
      assert.match(status.stdout, /signer\.pem: revoked$/m);
      assert.match(status.stdout, /Reason: keyCompromise/);
      assert.match(status.stdout, /Revocation Time:/);

      const crl = await fetch(`${url()}/pki/crl/issuing.crl`);
      assert.equal(crl.headers.get('content-type'), 'application/pkix-crl');
      writeFileSync(file('issuing.crl'), new Uint8Array(await crl.arrayBuffer()));
      const checked = await openssl([
        'crl',
        '-inform',
        'DER',
        '-in',
        file('issuing.crl'),
        '-CAfile',
        file('chain.pem'),
        '-noout',
        '-text',
      ]);
      assert.equal(checked.exitCode, 0, checked.stderr);
      assert.match(checked.stderr + checked.stdout, /verify OK/);
      assert.match(checked.stdout, new RegExp(`Serial Number: 0*${signer.serialNumber.toUpperCase()}`));
      assert.match(checked.stdout, /Key Compromise/);
      assert.match(checked.stdout, /X509v3 CRL Number/);
      assert.match(checked.stdout, /X509v3 Authority Key Identifier/);
      assert.match(checked.stdout, /Next Update:/);
    });

    it('publishes a root CRL, signed by the root, listing no CA certificate', async (t) => {
      if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
      const crl = await fetch(`${url()}/pki/crl/root.crl`);
      writeFileSync(file('root.crl'), new Uint8Array(await crl.arrayBuffer()));
      const checked = await openssl([
        'crl',
        '-inform',
        'DER',
        '-in',
        file('root.crl'),
        '-CAfile',
        file('root.pem'),
        '-noout',
        '-text',
      ]);
      assert.match(checked.stderr + checked.stdout, /verify OK/);
      assert.match(checked.stdout, /No Revoked Certificates/);
      assert.match(checked.stdout, /Issuer: O = Signet Development, CN = Signet Development Root CA/);
    });

    it('refuses revocation data for a revoked signer: CERTIFICATE_REVOKED', async () => {
      const collector = createValidationDataCollector({ timeoutMs: 5000 });
      await assert.rejects(collector.collect([signer.certificate, ...signer.chain]), {
        code: 'CERTIFICATE_REVOKED',
        detail: /Zoë Ångström/,
      });
    });

    it('time-stamps over HTTP in a way `openssl ts -verify` accepts', async (t) => {
      if (!hasTool('openssl')) return t.skip(OPENSSL_MISSING);
      writeFileSync(file('data.txt'), 'the document');
      const query = await openssl([
        'ts',
        '-query',
        '-data',
        file('data.txt'),
        '-sha256',
        '-cert',
        '-out',
        file('q.tsq'),
      ]);
      assert.equal(query.exitCode, 0, query.stderr);
      const reply = await fetch(`${url()}/pki/tsa`, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query' },
        body: readFileSync(file('q.tsq')),
      });
      assert.equal(reply.headers.get('content-type'), 'application/timestamp-reply');
      writeFileSync(file('r.tsr'), new Uint8Array(await reply.arrayBuffer()));
      const verified = await openssl([
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
    });
  });
}

function runSignet(env: Record<string, string>, args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function readPem(path: string): Uint8Array {
  return new Uint8Array(new X509Certificate(readFileSync(path)).raw);
}

const sha256 = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');
