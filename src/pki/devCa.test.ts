import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { requireTools, runTool } from '../../test/peers/pdfValidators.ts';
import { type DevPki, loadOrCreateDevPki } from './devCa.ts';

const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
};

let work: string;
let dir: string;
let pki: DevPki;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-devca-'));
  dir = join(work, 'pki');
  pki = await loadOrCreateDevPki(dir);
});

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

  it('passes OpenSSL strict X.509 chain verification', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    const result = await runTool('openssl', [
      'verify',
      '-x509_strict',
      '-CAfile',
      join(dir, 'root-ca.crt.pem'),
      '-untrusted',
      join(dir, 'issuing-ca.crt.pem'),
      join(dir, 'sealing.crt.pem'),
    ]);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
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

  it('keeps the private keys readable by the owner only', async () => {
    const files = await readdir(dir);
    assert.deepEqual(files.sort(), [
      'issuing-ca.crt.pem',
      'issuing-ca.key.pem',
      'root-ca.crt.pem',
      'root-ca.key.pem',
      'sealing.crt.pem',
      'sealing.key.pem',
    ]);
    for (const key of files.filter((f) => f.endsWith('.key.pem'))) {
      assert.equal((await stat(join(dir, key))).mode & 0o777, 0o600, key);
    }
  });

  it('loads the same PKI on later calls instead of creating a new one', async () => {
    const again = await loadOrCreateDevPki(dir);
    assert.equal(again.rootPem, pki.rootPem);
    assert.deepEqual(again.sealing.certificate, pki.sealing.certificate);
    const data = new TextEncoder().encode('same key');
    assert.deepEqual(await again.sealing.sign(data), await pki.sealing.sign(data)); // RSA PKCS#1 v1.5 is deterministic
  });

  it('refuses a directory holding only part of a PKI rather than replacing the trusted root', async () => {
    const partial = join(work, 'partial');
    await loadOrCreateDevPki(partial);
    await unlink(join(partial, 'sealing.key.pem'));
    await assert.rejects(loadOrCreateDevPki(partial), {
      code: 'DEV_PKI_INCOMPLETE',
      detail: /sealing\.key\.pem/,
    });
  });

  it('refuses a sealing key that does not match its certificate', async () => {
    const swapped = join(work, 'swapped');
    await loadOrCreateDevPki(swapped);
    await writeFile(join(swapped, 'sealing.key.pem'), await readFile(join(swapped, 'issuing-ca.key.pem')));
    await assert.rejects(loadOrCreateDevPki(swapped), { code: 'KEY_CERTIFICATE_MISMATCH' });
  });
});
