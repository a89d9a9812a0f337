import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as pkijs from 'pkijs';
import {
  makeNssTrustStore,
  type NssTrustStore,
  requireTools,
  runPdfsig,
  runTool,
} from '../../test/peers/pdfValidators.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import {
  createPostgresDatabase,
  databaseKinds,
  freePort,
  pgliteTemplate,
} from '../../test/support/signetHarness.ts';
import { loadOrCreateMasterKey } from '../blobs/blobStore.ts';
import type { CertificateProfileConfig } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { createOutboundClient } from '../outbound/outboundHttp.ts';
import { type PadesLevel, signPades } from '../pdf/pades.ts';
import { verifyPdf } from '../verify/verifyPdf.ts';
import { policiesOf } from './certificateFields.ts';
import { certificateStatus, keySha1Of } from './certificateRegistry.ts';
import { type DevPki, loadOrCreateDevPki } from './devCa.ts';
import { createFileKeyStore } from './fileKeyStore.ts';
import { issueCertificate, KeyPurpose, KeyUsage } from './issue.ts';
import type { KeyStore } from './keyStore.ts';
import { createPlatformPki, type PlatformPki } from './services.ts';
import {
  type IssuedCertificate,
  issueSignerCertificate,
  revokeAfterUse,
  SIGNER_CERTIFICATE_BACKDATE_MS,
} from './signerCertificate.ts';

/*
 * The per-signer certificate profile (README "Certificate profiles") as relying parties read
 * it: OpenSSL's text, pdfsig through NSS, and `signet verify`; and revocation after use.
 */

const PROFILE: CertificateProfileConfig = {
  policyOid: '1.3.6.1.4.1.99999.7.1',
  organization: 'Acme Trust Services',
  country: 'DE',
};
const VALIDITY_DAYS = 30;
const ENVELOPE_ID = '5f0c2b9e-6a43-4a8e-9d1f-0c1d2e3f4a5b';
const DAY_MS = 86_400_000;

for (const kind of databaseKinds()) {
  describe(`Per-signer certificates on ${kind}`, () => {
    let work: string;
    let db: Database;
    let dropDatabase: (() => Promise<void>) | undefined;
    let keyStore: KeyStore;
    let dev: DevPki;
    let pki: PlatformPki;
    let keptAfterUse: PlatformPki;
    let server: Server;
    let trust: NssTrustStore | undefined;

    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'signet-signer-certificate-'));
      if (kind === 'postgres') {
        const postgres = await createPostgresDatabase();
        dropDatabase = postgres.drop;
        db = await openDatabase({ kind: 'postgres', url: postgres.url });
        await migrate(db);
      } else {
        db = await openDatabase({ kind: 'pglite', template: await pgliteTemplate() });
      }
      const port = await freePort();
      const pkiDir = join(work, 'pki');
      keyStore = createFileKeyStore(join(pkiDir, 'keys'), loadOrCreateMasterKey(pkiDir, undefined));
      // The certificates point at this loopback port, where the CA's OCSP responder and CRLs answer.
      dev = await loadOrCreateDevPki(pkiDir, {
        keyStore,
        publicUrl: `http://127.0.0.1:${port}`,
        profile: PROFILE,
      });
      const platform = (revokeAfterUse: boolean) =>
        createPlatformPki({
          db,
          dev,
          keyStore,
          tsa: { urls: [], timeoutMs: 5000, attemptsPerUrl: 1 },
          revocationTimeoutMs: 5000,
          signerCertificates: { validityDays: VALIDITY_DAYS, revokeAfterUse },
        });
      pki = await platform(true);
      keptAfterUse = await platform(false);
      server = await serveCaPublications(pki, port);
    });

    after(async () => {
      server?.close();
      await trust?.cleanup();
      await db?.close();
      await dropDatabase?.();
      await rm(work, { recursive: true, force: true });
    });

    const file = async (name: string, bytes: Uint8Array | string) => {
      const path = join(work, name);
      await writeFile(path, bytes);
      return path;
    };
    const nssDir = async () => {
      trust ??= await makeNssTrustStore(dev.rootPem);
      return trust.dir;
    };

    /** A PDF signed by one signer (one-time key, own certificate) and then sealed, at `level`. */
    async function signedBySigner(
      level: PadesLevel,
    ): Promise<{ pdf: Uint8Array; issued: IssuedCertificate }> {
      const key = await keyStore.generateEphemeral('rsa-sha256');
      const issued = await pki.issueSignerCertificate({
        name: 'Zoë Ångström',
        email: 'zoe@example.test',
        envelopeId: ENVELOPE_ID,
        publicKey: key.publicKey,
      });
      const pdf = await signPades(
        await makePdf({ pages: 1, text: 'Contract' }),
        [
          {
            identity: { ...key.key, certificate: issued.certificate, chain: issued.chain },
            afterSigning: () => key.destroy(),
            fieldName: 'Signature of Zoë Ångström',
            signingTime: new Date(),
          },
          { identity: pki.sealing, fieldName: 'Signet seal', signingTime: new Date() },
        ],
        level,
        pki.pades,
      );
      return { pdf, issued };
    }

    const statusOf = (issued: IssuedCertificate) =>
      certificateStatus(
        db,
        keySha1Of(pkijs.Certificate.fromBER(dev.issuingCa.certificate)),
        issued.serialNumber,
      );

    it('names the signer in CN only, the e-mail only in subjectAltName, the envelope in a userNotice of the operator policy, for id-kp-documentSigning, SIGNER_CERT_VALIDITY_DAYS long', async (t) => {
      const key = await keyStore.generateEphemeral('rsa-sha256');
      const issuedAt = Date.now();
      const issued = await pki.issueSignerCertificate({
        name: '  Zoë Ångström ',
        email: 'zoe@example.test',
        envelopeId: ENVELOPE_ID,
        publicKey: key.publicKey,
      });
      await key.destroy();
      const view = new X509Certificate(issued.certificate);
      assert.equal(view.subject, 'CN=Zoë Ångström');
      assert.equal(view.subjectAltName, 'email:zoe@example.test');
      assert.deepEqual(policiesOf(pkijs.Certificate.fromBER(issued.certificate)), [
        { oid: PROFILE.policyOid, explicitText: `Signet envelope ${ENVELOPE_ID}` },
      ]);
      const notBefore = Date.parse(view.validFrom);
      const notAfter = Date.parse(view.validTo);
      assert.ok(notBefore <= issuedAt - SIGNER_CERTIFICATE_BACKDATE_MS + 1000, 'backdated for clock skew');
      assert.ok(
        Math.abs(notAfter - notBefore - VALIDITY_DAYS * DAY_MS - SIGNER_CERTIFICATE_BACKDATE_MS) < 2000,
      );

      if (!requireTools(t, ['openssl'])) return;
      const pem = await file('signer.pem', view.toString());
      const text = (
        await runTool('openssl', ['x509', '-in', pem, '-noout', '-text', '-nameopt', 'oneline,-esc_msb'])
      ).stdout;
      assert.match(text, /Subject: CN = Zoë Ångström\n/);
      assert.doesNotMatch(text, /emailAddress|E = /, 'no e-mail in the subject');
      assert.match(text, /Issuer: C = DE, O = Acme Trust Services, CN = Acme Trust Services Issuing CA\n/);
      assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Non Repudiation\n/);
      assert.match(text, /X509v3 Extended Key Usage: \n\s+1\.3\.6\.1\.5\.5\.7\.3\.36, E-mail Protection\n/);
      assert.match(text, /X509v3 Subject Alternative Name: \n\s+email:zoe@example\.test\n/);
      assert.match(
        text,
        new RegExp(
          `X509v3 Certificate Policies: \\n\\s+Policy: 1\\.3\\.6\\.1\\.4\\.1\\.99999\\.7\\.1\\n\\s+User Notice:\\n\\s+Explicit Text: Signet envelope ${ENVELOPE_ID}\\n`,
        ),
      );
      const chain = await file('chain.pem', new X509Certificate(dev.issuingCa.certificate).toString());
      const root = await file('root.pem', dev.rootPem);
      const verified = await runTool('openssl', [
        'verify',
        '-x509_strict',
        '-purpose',
        'smimesign',
        '-explicit_policy',
        '-policy',
        PROFILE.policyOid,
        '-CAfile',
        root,
        '-untrusted',
        chain,
        pem,
      ]);
      assert.equal(verified.exitCode, 0, verified.stdout + verified.stderr);
    });

    it("ends a signer certificate no later than the issuing CA's", async () => {
      const key = await keyStore.generateEphemeral('rsa-sha256');
      const caNotAfter = new Date(new X509Certificate(dev.issuingCa.certificate).validTo);
      const issued = await issueSignerCertificate(
        dev.issuingCa,
        {
          name: 'Late Signer',
          email: 'late@example.test',
          envelopeId: ENVELOPE_ID,
          publicKey: key.publicKey,
        },
        db,
        { policyOid: PROFILE.policyOid, validityDays: 365 },
        new Date(caNotAfter.getTime() - 10 * DAY_MS),
      );
      await key.destroy();
      assert.equal(Date.parse(new X509Certificate(issued.certificate).validTo), caNotAfter.getTime());
    });

    it('keeps emailProtection beside id-kp-documentSigning because pdfsig (NSS) refuses a signer certificate without it', async (t) => {
      if (!requireTools(t, ['pdfsig', 'certutil'])) return;
      const verdicts: string[] = [];
      for (const purposes of [
        [KeyPurpose.documentSigning],
        [KeyPurpose.documentSigning, KeyPurpose.emailProtection],
      ]) {
        const key = await keyStore.generateEphemeral('rsa-sha256');
        const certificate = await issueCertificate(
          {
            subject: { commonName: 'EKU probe' },
            subjectPublicKey: key.publicKey,
            notBefore: new Date(Date.now() - SIGNER_CERTIFICATE_BACKDATE_MS),
            notAfter: new Date(Date.now() + DAY_MS),
            keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation],
            extendedKeyUsage: { purposes, critical: false },
            emailAddresses: ['probe@example.test'],
          },
          { certificate: dev.issuingCa.certificate, key: dev.issuingCa.key },
        );
        const pdf = await signPades(
          await makePdf({ pages: 1 }),
          [
            {
              identity: { ...key.key, certificate, chain: [dev.issuingCa.certificate, dev.rootDer] },
              fieldName: 'Probe',
              signingTime: new Date(),
            },
          ],
          'B-B',
          pki.pades,
        );
        await key.destroy();
        const [report] = await runPdfsig(await file(`eku-${purposes.length}.pdf`, pdf), await nssDir());
        assert.ok(report?.signatureValid, report?.raw);
        verdicts.push(report?.certificateTrusted ? 'trusted' : 'refused');
      }
      assert.deepEqual(verdicts, ['refused', 'trusted']);
    });

    it('validates in pdfsig (valid, trusted) and in signet verify when the signer signs and Signet seals at B-LTA', async (t) => {
      const { pdf } = await signedBySigner('B-LTA');
      const report = await verifyPdf(pdf, { trustAnchors: [dev.rootDer] });
      assert.equal(report.verdict, 'valid', JSON.stringify(report.findings));
      assert.deepEqual(
        report.signatures.map((s) => [s.fieldName, s.verdict, s.padesLevel]),
        [
          ['Signature of Zoë Ångström', 'valid', 'B-LTA'],
          ['Signet seal', 'valid', 'B-LTA'],
          ['Signet archive time-stamp', 'valid', undefined],
        ],
      );
      const signer = report.signatures[0]?.signer;
      assert.equal(signer?.commonName, 'Zoë Ångström');
      assert.equal(signer?.email, 'zoe@example.test', 'read from subjectAltName');

      if (!requireTools(t, ['pdfsig', 'certutil'])) return;
      const peers = await runPdfsig(await file('signed-b-lta.pdf', pdf), await nssDir());
      const cades = peers.filter((s) => s.subFilter === 'ETSI.CAdES.detached');
      assert.equal(cades.length, 2, peers.map((s) => s.raw).join('\n'));
      for (const signature of cades) {
        assert.ok(signature.signatureValid, signature.raw);
        assert.ok(signature.certificateTrusted, signature.raw);
      }
      assert.match(cades[0]?.raw ?? '', /Signer full Distinguished Name: CN=Zoë Ångström\n/);
    });

    it('revokes a used certificate (cessationOfOperation) once its validation data is in the file: signet verify still says valid, while pdfsig asking OCSP now says revoked', async (t) => {
      const { pdf, issued } = await signedBySigner('B-LTA');
      assert.deepEqual(await statusOf(issued), { status: 'good' });
      assert.equal(
        await pki.signerCertificateUsed({ serialNumber: issued.serialNumber, timeStamped: true }),
        true,
      );
      const status = await statusOf(issued);
      assert.equal(status.status, 'revoked');
      assert.equal(status.status === 'revoked' && status.reason, 'cessationOfOperation');
      // A retried seal job tells the CA again: nothing changes, nothing fails.
      assert.equal(
        await pki.signerCertificateUsed({ serialNumber: issued.serialNumber, timeStamped: true }),
        true,
      );
      assert.deepEqual(await statusOf(issued), status);

      const report = await verifyPdf(pdf, { trustAnchors: [dev.rootDer] });
      assert.equal(report.verdict, 'valid', JSON.stringify(report.findings));

      if (!requireTools(t, ['openssl', 'pdfsig', 'certutil'])) return;
      const crl = await file('issuing.crl', await pki.authority.crl('issuing'));
      const crlText = (await runTool('openssl', ['crl', '-in', crl, '-inform', 'DER', '-noout', '-text']))
        .stdout;
      assert.match(crlText, new RegExp(`Serial Number: 0*${issued.serialNumber.toUpperCase()}\\n`, 'i'));
      assert.match(crlText, /CRL Reason Code: \n\s+Cessation Of Operation/);
      // pdfsig asks the OCSP responder (it ignores the DSS and the time-stamp) and judges at the
      // current time: what README "Certificate profiles" warns of before turning this on.
      const [signerSignature] = await runPdfsig(await file('revoked-after-use.pdf', pdf), await nssDir());
      assert.ok(signerSignature?.signatureValid, signerSignature?.raw);
      assert.match(signerSignature?.raw ?? '', /Certificate Validation: Certificate has been Revoked\./);
    });

    it("revokes after the signature's time-stamp, so a validator that fetches the status later finds it good when used", async () => {
      // B-T: no DSS, so signet verify asks the OCSP responder itself. The revocation may fall in
      // the second the time-stamp was made: it is dated to the next second, never at or before.
      const { pdf, issued } = await signedBySigner('B-T');
      await pki.signerCertificateUsed({ serialNumber: issued.serialNumber, timeStamped: true });
      const report = await verifyPdf(pdf, {
        trustAnchors: [dev.rootDer],
        revocation: 'embedded-then-live',
        outbound: createOutboundClient({ allowedNetworks: ['127.0.0.1/32'] }),
      });
      const [signature] = report.signatures;
      assert.equal(signature?.verdict, 'valid', JSON.stringify(signature?.findings));
      const check = signature?.chain?.revocation.find((r) => r.source === 'live');
      assert.equal(check?.status, 'good', JSON.stringify(signature?.chain?.revocation));
      assert.ok(
        check?.revokedAt && Date.parse(check.revokedAt) > Date.parse(signature?.timestamp?.time ?? ''),
      );
    });

    it('leaves the certificate of an untimed (B-B) signature alone, and every certificate when SIGNER_CERT_REVOKE_AFTER_USE is off', async () => {
      const untimed = await signedBySigner('B-B');
      assert.equal(
        await pki.signerCertificateUsed({ serialNumber: untimed.issued.serialNumber, timeStamped: false }),
        false,
      );
      assert.deepEqual(await statusOf(untimed.issued), { status: 'good' });
      const timed = await signedBySigner('B-T');
      assert.equal(
        await keptAfterUse.signerCertificateUsed({
          serialNumber: timed.issued.serialNumber,
          timeStamped: true,
        }),
        false,
      );
      assert.deepEqual(await statusOf(timed.issued), { status: 'good' });
    });

    it('dates a revocation after use to the next whole second', async () => {
      const key = await keyStore.generateEphemeral('rsa-sha256');
      const issued = await keptAfterUse.issueSignerCertificate({
        name: 'Ada',
        email: 'ada@example.test',
        envelopeId: ENVELOPE_ID,
        publicKey: key.publicKey,
      });
      await key.destroy();
      await revokeAfterUse(db, issued.serialNumber, new Date('2027-03-04T05:06:07.000Z'));
      const status = await statusOf(issued);
      assert.equal(status.status === 'revoked' && status.revokedAt.toISOString(), '2027-03-04T05:06:08.000Z');
    });
  });
}

/** The CA's OCSP responder (POST and GET, RFC 6960 Appendix A.1) and CRLs on 127.0.0.1:`port`. */
async function serveCaPublications(pki: PlatformPki, port: number): Promise<Server> {
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = request.url ?? '';
    const answer = (type: string, body: Uint8Array) =>
      response.writeHead(200, { 'content-type': type }).end(Buffer.from(body));
    if (path === '/pki/ocsp' && request.method === 'POST') {
      return answer('application/ocsp-response', await pki.authority.ocsp.respond(Buffer.concat(chunks)));
    }
    if (path.startsWith('/pki/ocsp/')) {
      const body = Buffer.from(decodeURIComponent(path.slice('/pki/ocsp/'.length)), 'base64');
      return answer('application/ocsp-response', await pki.authority.ocsp.respond(body));
    }
    if (path === '/pki/crl/issuing.crl')
      return answer('application/pkix-crl', await pki.authority.crl('issuing'));
    if (path === '/pki/crl/root.crl') return answer('application/pkix-crl', await pki.authority.crl('root'));
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
