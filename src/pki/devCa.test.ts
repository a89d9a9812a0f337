import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { requireTools, runTool } from '../../test/peers/pdfValidators.ts';
import { exportDevPkiKey } from '../../test/support/devPkiFixture.ts';
import { findPlaintextPrivateKeys } from '../../test/support/plaintextKeys.ts';
import { DEVELOPMENT_CERTIFICATE_POLICY_OID } from '../config/config.ts';
import { pointersOf, policiesOf } from './certificateFields.ts';
import { type DevPki, loadOrCreateDevPki } from './devCa.ts';

const OID = {
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  certificatePolicies: '2.5.29.32',
};

let work: string;
let dir: string;
let pki: DevPki;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-devca-'));
  dir = join(work, 'pki');
  pki = await loadOrCreateDevPki(dir, { publicUrl: PUBLIC_URL });
});

const PUBLIC_URL = 'https://signet.example';

function extendedKeyUsage(der: Uint8Array): { critical: boolean; purposes: string[] } | undefined {
  const found = extension(der, OID.extendedKeyUsage);
  if (!found) return undefined;
  const value = new pkijs.ExtKeyUsage({
    schema: asn1js.fromBER(found.extnValue.valueBlock.valueHexView).result,
  });
  return { critical: found.critical, purposes: value.keyPurposes };
}

after(() => rm(work, { recursive: true, force: true }));

function extension(der: Uint8Array, oid: string): pkijs.Extension | undefined {
  return pkijs.Certificate.fromBER(der).extensions?.find((e) => e.extnID === oid);
}

function basicConstraints(der: Uint8Array): { critical: boolean; ca: boolean; pathLength?: number } {
  const found = extension(der, OID.basicConstraints);
  assert.ok(found, 'basicConstraints missing');
  const value = new pkijs.BasicConstraints({
    schema: asn1js.fromBER(found.extnValue.valueBlock.valueHexView).result,
  });
  const pathLength = value.pathLenConstraint;
  return {
    critical: found.critical,
    ca: value.cA,
    ...(typeof pathLength === 'number' ? { pathLength } : {}),
  };
}

/** Names of the key usage bits set, RFC 5280 §4.2.1.3 order. */
function keyUsages(der: Uint8Array): { critical: boolean; usages: string[] } {
  const found = extension(der, OID.keyUsage);
  assert.ok(found, 'keyUsage missing');
  const bits = asn1js.fromBER(found.extnValue.valueBlock.valueHexView).result;
  assert.ok(bits instanceof asn1js.BitString);
  const names = [
    'digitalSignature',
    'nonRepudiation',
    'keyEncipherment',
    'dataEncipherment',
    'keyAgreement',
    'keyCertSign',
    'cRLSign',
  ];
  const bytes = bits.valueBlock.valueHexView;
  const usages = names.filter((_, bit) => ((bytes[Math.floor(bit / 8)] ?? 0) & (0x80 >> (bit % 8))) !== 0);
  return { critical: found.critical, usages };
}

function keyIdentifier(der: Uint8Array, oid: string): string {
  const found = extension(der, oid);
  assert.ok(found, `${oid} missing`);
  const value = asn1js.fromBER(found.extnValue.valueBlock.valueHexView).result;
  if (oid === OID.subjectKeyIdentifier) {
    assert.ok(value instanceof asn1js.OctetString);
    return Buffer.from(value.valueBlock.valueHexView).toString('hex');
  }
  const aki = new pkijs.AuthorityKeyIdentifier({ schema: value });
  assert.ok(aki.keyIdentifier);
  return Buffer.from(aki.keyIdentifier.valueBlock.valueHexView).toString('hex');
}

describe('loadOrCreateDevPki', () => {
  it('creates a root, an issuing CA and a sealing certificate that chain up to the root', () => {
    const [issuing, root] = pki.sealing.chain.map((der) => new X509Certificate(der));
    assert.equal(pki.sealing.chain.length, 2);
    const sealing = new X509Certificate(pki.sealing.certificate);
    assert.match(root!.subject, /CN=Signet Development Root CA/);
    assert.match(sealing.subject, /CN=Signet Document Sealing/);
    assert.ok(sealing.checkIssued(issuing!) && sealing.verify(issuing!.publicKey));
    assert.ok(issuing!.checkIssued(root!) && issuing!.verify(root!.publicKey));
    assert.ok(root!.verify(root!.publicKey), 'the root is self-signed');
    assert.deepEqual(Buffer.from(pki.rootDer), root!.raw);
    assert.equal(new X509Certificate(pki.rootPem).fingerprint256, root!.fingerprint256);
    assert.deepEqual(pki.issuingCa.certificate, pki.sealing.chain[0]);
  });

  it('passes OpenSSL strict X.509 chain verification, the TSA and OCSP certificates for their purposes', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    const verify = (file: string, purpose: string[]) =>
      runTool('openssl', [
        'verify',
        '-x509_strict',
        ...purpose,
        '-CAfile',
        join(dir, 'root-ca.crt.pem'),
        '-untrusted',
        join(dir, 'issuing-ca.crt.pem'),
        join(dir, file),
      ]);
    for (const [file, purpose] of [
      ['sealing.crt.pem', []],
      ['tsa.crt.pem', ['-purpose', 'timestampsign']],
      ['ocsp.crt.pem', ['-purpose', 'ocsphelper']],
    ] as const) {
      const result = await verify(file, [...purpose]);
      assert.equal(result.exitCode, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /: OK/);
    }
  });

  it('gives the TSA certificate exactly one extendedKeyUsage, id-kp-timeStamping, critical (RFC 3161 §2.3)', () => {
    assert.deepEqual(extendedKeyUsage(pki.tsa.certificate), { critical: true, purposes: [OID.timeStamping] });
    assert.deepEqual(keyUsages(pki.tsa.certificate), { critical: true, usages: ['digitalSignature'] });
    assert.deepEqual(pki.tsa.chain, [pki.issuingCa.certificate, pki.rootDer]);
  });

  it('makes the OCSP responder a delegated responder of the issuing CA with ocsp-nocheck (RFC 6960 §4.2.2.2)', () => {
    const responder = pki.ocspResponder.certificate;
    assert.deepEqual(extendedKeyUsage(responder)?.purposes, [OID.ocspSigning]);
    assert.ok(extension(responder, OID.ocspNoCheck), 'id-pkix-ocsp-nocheck missing');
    assert.ok(new X509Certificate(responder).checkIssued(new X509Certificate(pki.issuingCa.certificate)));
    assert.deepEqual(pointersOf(pkijs.Certificate.fromBER(responder)), {
      ocspUrls: [],
      caIssuersUrls: [`${PUBLIC_URL}/pki/issuing-ca.crt`],
      crlUrls: [],
    });
  });

  it('points end entities at the OCSP responder, the issuing CA certificate and its CRL; the issuing CA at the root CRL', () => {
    for (const der of [pki.sealing.certificate, pki.tsa.certificate]) {
      assert.deepEqual(pointersOf(pkijs.Certificate.fromBER(der)), {
        ocspUrls: [`${PUBLIC_URL}/pki/ocsp`],
        caIssuersUrls: [`${PUBLIC_URL}/pki/issuing-ca.crt`],
        crlUrls: [`${PUBLIC_URL}/pki/crl/issuing.crl`],
      });
    }
    assert.deepEqual(pointersOf(pkijs.Certificate.fromBER(pki.issuingCa.certificate)), {
      ocspUrls: [],
      caIssuersUrls: [`${PUBLIC_URL}/pki/root-ca.crt`],
      crlUrls: [`${PUBLIC_URL}/pki/crl/root.crl`],
    });
    assert.deepEqual(pointersOf(pkijs.Certificate.fromBER(pki.rootDer)), {
      ocspUrls: [],
      caIssuersUrls: [],
      crlUrls: [],
    });
  });

  it('lists every certificate below the root with its issuer, for the certificate register', () => {
    assert.deepEqual(
      pki.issued.map(({ certificate, issuer }) => [certificate, issuer]),
      [
        [pki.issuingCa.certificate, pki.rootDer],
        [pki.sealing.certificate, pki.issuingCa.certificate],
        [pki.tsa.certificate, pki.issuingCa.certificate],
        [pki.ocspResponder.certificate, pki.issuingCa.certificate],
      ],
    );
  });

  it('marks the CAs with critical basicConstraints and keyCertSign/cRLSign', () => {
    const [issuing, root] = pki.sealing.chain as [Uint8Array, Uint8Array];
    assert.deepEqual(basicConstraints(root), { critical: true, ca: true });
    assert.deepEqual(basicConstraints(issuing), { critical: true, ca: true, pathLength: 0 });
    for (const ca of [root, issuing]) {
      assert.deepEqual(keyUsages(ca), { critical: true, usages: ['keyCertSign', 'cRLSign'] });
    }
  });

  it('gives the sealing certificate digitalSignature + nonRepudiation and no extendedKeyUsage', () => {
    const sealing = pki.sealing.certificate;
    assert.deepEqual(basicConstraints(sealing), { critical: true, ca: false });
    assert.deepEqual(keyUsages(sealing), { critical: true, usages: ['digitalSignature', 'nonRepudiation'] });
    // NSS (pdfsig, Firefox, LibreOffice) validates document signatures as e-mail signing and
    // rejects an extendedKeyUsage that lacks emailProtection.
    assert.equal(extension(sealing, OID.extendedKeyUsage), undefined);
    assert.equal(pki.sealing.signatureAlgorithm, 'rsa-sha256');
    assert.equal(new X509Certificate(sealing).publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  });

  it('puts the development policy on the issuing CA and every end entity, and none on the root', () => {
    const policies = (der: Uint8Array) => policiesOf(pkijs.Certificate.fromBER(der));
    for (const der of [
      pki.issuingCa.certificate,
      pki.sealing.certificate,
      pki.tsa.certificate,
      pki.ocspResponder.certificate,
    ]) {
      assert.deepEqual(policies(der), [{ oid: DEVELOPMENT_CERTIFICATE_POLICY_OID }]);
      assert.equal(extension(der, OID.certificatePolicies)?.critical, false);
    }
    assert.deepEqual(policies(pki.rootDer), []);
  });

  it('links every certificate to its issuer by key identifiers', () => {
    const [issuing, root] = pki.sealing.chain as [Uint8Array, Uint8Array];
    assert.equal(
      keyIdentifier(root, OID.authorityKeyIdentifier),
      keyIdentifier(root, OID.subjectKeyIdentifier),
    );
    assert.equal(
      keyIdentifier(issuing, OID.authorityKeyIdentifier),
      keyIdentifier(root, OID.subjectKeyIdentifier),
    );
    assert.equal(
      keyIdentifier(pki.sealing.certificate, OID.authorityKeyIdentifier),
      keyIdentifier(issuing, OID.subjectKeyIdentifier),
    );
  });

  it('gives the root 20 years and the sealing certificate 3', () => {
    const years = (der: Uint8Array) => {
      const certificate = new X509Certificate(der);
      return (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / (365.25 * 86_400_000);
    };
    assert.ok(Math.abs(years(pki.rootDer) - 20) < 0.01);
    assert.ok(Math.abs(years(pki.sealing.certificate) - 3) < 0.01);
    assert.ok(Date.parse(new X509Certificate(pki.sealing.certificate).validFrom) < Date.now());
  });

  it('keeps certificates as PEM files and the keys encrypted in the key store, readable by the owner only', async () => {
    const files = await readdir(dir);
    assert.deepEqual(files.sort(), [
      'issuing-ca.crt.pem',
      'keys',
      'master.key', // the default key store's development master key
      'ocsp.crt.pem',
      'root-ca.crt.pem',
      'sealing.crt.pem',
      'tsa.crt.pem',
    ]);
    const keys = await readdir(join(dir, 'keys'));
    assert.deepEqual(keys.sort(), [
      'signet-issuing-ca.key.sealed',
      'signet-ocsp.key.sealed',
      'signet-root-ca.key.sealed',
      'signet-sealing.key.sealed',
      'signet-tsa.key.sealed',
    ]);
    for (const key of keys) assert.equal((await stat(join(dir, 'keys', key))).mode & 0o777, 0o600, key);
    assert.deepEqual(await findPlaintextPrivateKeys(dir), []);
  });

  it('loads the same PKI on later calls instead of creating a new one', async () => {
    const again = await loadOrCreateDevPki(dir, { publicUrl: PUBLIC_URL });
    assert.equal(again.rootPem, pki.rootPem);
    assert.deepEqual(again.sealing.certificate, pki.sealing.certificate);
    assert.deepEqual(again.tsa.certificate, pki.tsa.certificate);
    assert.deepEqual(again.ocspResponder.certificate, pki.ocspResponder.certificate);
    const data = new TextEncoder().encode('same key');
    assert.deepEqual(await again.sealing.sign(data), await pki.sealing.sign(data)); // RSA PKCS#1 v1.5 is deterministic
  });

  it('refuses a directory holding only part of a PKI rather than replacing the trusted root', async () => {
    const partial = join(work, 'partial');
    await loadOrCreateDevPki(partial);
    await unlink(join(partial, 'keys', 'signet-root-ca.key.sealed'));
    await assert.rejects(loadOrCreateDevPki(partial), {
      code: 'DEV_PKI_INCOMPLETE',
      detail: /root-ca\.crt\.pem.*signet-root-ca/,
    });
  });

  it('refuses a sealing key that does not match its certificate', async () => {
    const swapped = join(work, 'swapped');
    await loadOrCreateDevPki(swapped);
    const keys = join(swapped, 'keys');
    await writeFile(
      join(keys, 'signet-sealing.key.sealed'),
      await readFile(join(keys, 'signet-issuing-ca.key.sealed')),
    );
    await assert.rejects(loadOrCreateDevPki(swapped), { code: 'KEY_CERTIFICATE_MISMATCH' });
  });

  it('re-issues the certificates below the root, with the same keys, when PUBLIC_URL changes', async () => {
    const moved = await loadOrCreateDevPki(dir, { publicUrl: 'https://moved.example' });
    assert.equal(moved.rootPem, pki.rootPem, 'the trusted root stays');
    assert.notDeepEqual(moved.sealing.certificate, pki.sealing.certificate);
    assert.ok(
      new X509Certificate(moved.sealing.certificate).publicKey.equals(
        new X509Certificate(pki.sealing.certificate).publicKey,
      ),
    );
    assert.deepEqual(pointersOf(pkijs.Certificate.fromBER(moved.tsa.certificate)).ocspUrls, [
      'https://moved.example/pki/ocsp',
    ]);
    // A certificate issued before the move still chains to the re-issued issuing CA (same name, same key).
    const old = new X509Certificate(pki.sealing.certificate);
    assert.ok(old.verify(new X509Certificate(moved.issuingCa.certificate).publicKey));
  });

  it("names the operator's organisation and country and carries the operator's policy, which OpenSSL enforces along the path", async (t) => {
    const acme = join(work, 'acme');
    const profile = {
      policyOid: '1.3.6.1.4.1.99999.7.1',
      organization: 'Acme Trust Services',
      country: 'DE',
    };
    await loadOrCreateDevPki(acme, { publicUrl: PUBLIC_URL, profile });
    if (!requireTools(t, ['openssl'])) return;
    const text = async (file: string) =>
      (await runTool('openssl', ['x509', '-in', join(acme, file), '-noout', '-text', '-nameopt', 'oneline']))
        .stdout;
    const subjects = {
      'root-ca.crt.pem': 'C = DE, O = Acme Trust Services, CN = Acme Trust Services Root CA',
      'issuing-ca.crt.pem': 'C = DE, O = Acme Trust Services, CN = Acme Trust Services Issuing CA',
      'sealing.crt.pem': 'C = DE, O = Acme Trust Services, CN = Signet Document Sealing',
      'tsa.crt.pem': 'C = DE, O = Acme Trust Services, CN = Acme Trust Services Time-Stamping Authority',
      'ocsp.crt.pem': 'C = DE, O = Acme Trust Services, CN = Acme Trust Services OCSP Responder',
    };
    for (const [file, subject] of Object.entries(subjects)) {
      const printed = await text(file);
      assert.ok(printed.includes(`Subject: ${subject}\n`), printed);
      if (file === 'root-ca.crt.pem') assert.doesNotMatch(printed, /Certificate Policies/);
      else assert.match(printed, /X509v3 Certificate Policies: \n\s+Policy: 1\.3\.6\.1\.4\.1\.99999\.7\.1\n/);
    }
    // RFC 5280 §6.1 with an initial policy set and requireExplicitPolicy: every certificate
    // below the trust anchor must assert the policy.
    const verify = (file: string, policy: string) =>
      runTool('openssl', [
        'verify',
        '-x509_strict',
        '-explicit_policy',
        '-policy',
        policy,
        '-CAfile',
        join(acme, 'root-ca.crt.pem'),
        '-untrusted',
        join(acme, 'issuing-ca.crt.pem'),
        join(acme, file),
      ]);
    for (const file of ['sealing.crt.pem', 'tsa.crt.pem', 'ocsp.crt.pem']) {
      const result = await verify(file, profile.policyOid);
      assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    }
    const other = await verify('sealing.crt.pem', '1.3.6.1.4.1.99999.7.2');
    assert.notEqual(other.exitCode, 0, 'a policy the certificates do not assert is refused');
  });

  it("re-issues the end entities (same keys) when the profile changes, and keeps the CAs' names", async () => {
    const renamed = join(work, 'renamed');
    const first = await loadOrCreateDevPki(renamed, { publicUrl: PUBLIC_URL });
    const profile = {
      policyOid: '1.3.6.1.4.1.99999.7.3',
      organization: 'Acme Trust Services',
      country: 'FR',
    };
    const second = await loadOrCreateDevPki(renamed, { publicUrl: PUBLIC_URL, profile });
    const view = (der: Uint8Array) => new X509Certificate(der);
    assert.equal(second.rootPem, first.rootPem, 'the trusted root stays');
    // Certificates and CRLs the issuing CA signed name it as their issuer: its name stays too.
    assert.equal(view(second.issuingCa.certificate).subject, view(first.issuingCa.certificate).subject);
    assert.deepEqual(policiesOf(pkijs.Certificate.fromBER(second.issuingCa.certificate)), [
      { oid: profile.policyOid },
    ]);
    assert.ok(view(first.sealing.certificate).verify(view(second.issuingCa.certificate).publicKey));
    assert.equal(
      view(second.sealing.certificate).subject,
      'C=FR\nO=Acme Trust Services\nCN=Signet Document Sealing',
    );
    assert.ok(view(second.sealing.certificate).publicKey.equals(view(first.sealing.certificate).publicKey));
    assert.match(view(second.tsa.certificate).subject, /CN=Acme Trust Services Time-Stamping Authority/);
    const third = await loadOrCreateDevPki(renamed, { publicUrl: PUBLIC_URL, profile });
    assert.deepEqual(
      third.sealing.certificate,
      second.sealing.certificate,
      'an unchanged profile re-issues nothing',
    );
    assert.deepEqual(third.issuingCa.certificate, second.issuingCa.certificate);
  });

  it('upgrades a directory of the first layout (keys beside certificates) and keeps its root', async () => {
    const legacy = join(work, 'legacy');
    const first = await loadOrCreateDevPki(legacy);
    // The first layout: three key files beside three certificates, no TSA or OCSP certificate, no key store.
    for (const [label, file] of [
      ['signet-root-ca', 'root-ca.key.pem'],
      ['signet-issuing-ca', 'issuing-ca.key.pem'],
      ['signet-sealing', 'sealing.key.pem'],
    ] as const) {
      await exportDevPkiKey(legacy, label, join(legacy, file));
    }
    await rm(join(legacy, 'keys'), { recursive: true });
    await unlink(join(legacy, 'tsa.crt.pem'));
    await unlink(join(legacy, 'ocsp.crt.pem'));

    const upgraded = await loadOrCreateDevPki(legacy);
    assert.equal(upgraded.rootPem, first.rootPem);
    assert.deepEqual(upgraded.sealing.certificate, first.sealing.certificate);
    const data = new TextEncoder().encode('same sealing key');
    assert.deepEqual(await upgraded.sealing.sign(data), await first.sealing.sign(data));
    assert.deepEqual(
      (await readdir(legacy)).filter((f) => f.endsWith('.key.pem')),
      [],
      'old key files removed',
    );
    assert.deepEqual(await findPlaintextPrivateKeys(legacy), [], 'the adopted keys are encrypted');
    assert.ok(upgraded.tsa.certificate.length > 0 && upgraded.ocspResponder.certificate.length > 0);
  });
});
