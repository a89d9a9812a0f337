import assert from 'node:assert/strict';
import { verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasTool } from '../../test/peers/pdfValidators.ts';
import {
  CA_EXTENSIONS,
  createOpensslPki,
  type OpensslPki,
  SIGNER_EXTENSIONS,
} from '../../test/support/opensslPki.ts';
import { loadOrCreateMasterKey } from '../blobs/blobStore.ts';
import { loadConfig } from '../config/config.ts';
import { SignetError } from '../errors.ts';
import { parseDistinguishedName } from './distinguishedName.ts';
import { createFileKeyStore, type FileKeyStore } from './fileKeyStore.ts';
import { importCertificateChain, loadImportedIdentity, requestKeyCertificate } from './importedChain.ts';
import { pemBlocks, toPem } from './pem.ts';
import { sealedKeyFileName } from './sealedKeyFile.ts';
import { loadSealingOverride } from './sealingIdentity.ts';

/*
 * A certificate bought for a stored key: the request signed by the key, the CA's answer (here
 * OpenSSL, root → intermediate → seal) checked and installed, and sealing taking it up. The same
 * with a key inside SoftHSM2 and a sealed PDF checked by pdfsig is in
 * test/endToEnd/productionPki.test.ts.
 */

const refusedWith = (code: string, detail?: RegExp) => (error: unknown) =>
  error instanceof SignetError && error.code === code && (detail === undefined || detail.test(error.detail));

describe('a certificate chain imported for a stored key', {
  skip: !hasTool('openssl') && 'apt-get install -y openssl',
}, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-imported-chain-'));
  const pkiDir = join(dataDir, 'pki');
  let keyStore: FileKeyStore;
  let ca: OpensslPki;
  const certificates: Record<string, Uint8Array> = {};

  /** The CA's answer to a request: `openssl x509 -req`, as a CA operator would run it. */
  const certify = async (name: string, csr: Uint8Array, extensions: string, issuer: string) => {
    writeFileSync(ca.file(`${name}.csr`), toPem('CERTIFICATE REQUEST', csr));
    writeFileSync(ca.file(`${name}.ext`), extensions);
    await ca.openssl(
      'x509',
      '-req',
      '-in',
      ca.file(`${name}.csr`),
      '-CA',
      ca.file(`${issuer}.pem`),
      '-CAkey',
      ca.file(`${issuer}.key`),
      '-CAcreateserial',
      '-days',
      '30',
      '-sha256',
      '-extfile',
      ca.file(`${name}.ext`),
      '-out',
      ca.file(`${name}.pem`),
    );
    certificates[name] = await ca.der(name);
    return certificates[name];
  };

  before(async () => {
    keyStore = createFileKeyStore(join(dataDir, 'keys'), loadOrCreateMasterKey(dataDir, undefined));
    ca = await createOpensslPki();
    certificates.root = await ca.issue('root', '/C=DE/O=Trust Services AG/CN=Trust Root', CA_EXTENSIONS);
    certificates.sub = await ca.issue(
      'sub',
      '/C=DE/O=Trust Services AG/CN=Trust Seal CA',
      CA_EXTENSIONS,
      'root',
    );
  });
  after(async () => {
    await keyStore?.close();
    await ca?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('makes the key and a CSR it signed, which OpenSSL verifies and a CA certifies', async () => {
    const subject = parseDistinguishedName('CN=Acme Seal,O=Acme GmbH,C=DE');
    const request = await requestKeyCertificate(pkiDir, keyStore, 'signet-sealing', {
      subject,
      keyType: 'rsa-2048',
    });
    assert.equal(request.generated, true);
    writeFileSync(ca.file('seal-request.csr'), toPem('CERTIFICATE REQUEST', request.csr));
    assert.match(
      await ca.openssl(
        'req',
        '-in',
        ca.file('seal-request.csr'),
        '-verify',
        '-noout',
        '-subject',
        '-nameopt',
        'RFC2253',
      ),
      /subject=CN=Acme Seal,O=Acme GmbH,C=DE/,
    );
    await certify('seal', request.csr, SIGNER_EXTENSIONS, 'sub');
    // Without --subject and nothing imported yet there is no name to ask for.
    await assert.rejects(
      requestKeyCertificate(pkiDir, keyStore, 'signet-sealing', { subject: undefined, keyType: 'rsa-2048' }),
      refusedWith('CLI_OPTION_REQUIRED', /--subject is required/),
    );
  });

  const refusals: [string, () => Uint8Array[], string, RegExp][] = [
    [
      'a chain without the certificate for the key',
      () => [certificates.sub!, certificates.root!],
      'KEY_CERTIFICATE_MISMATCH',
      /no certificate given certifies the key "signet-sealing"/,
    ],
    [
      'a chain missing its intermediate',
      () => [certificates.seal!, certificates.root!],
      'CERTIFICATE_CHAIN_INVALID',
      /no certificate given issued "C=DE, O=Acme GmbH, CN=Acme Seal"/,
    ],
    [
      'a chain without its root',
      () => [certificates.seal!, certificates.sub!],
      'CERTIFICATE_CHAIN_INVALID',
      /issuer is "C=DE, O=Trust Services AG, CN=Trust Root"/,
    ],
    [
      'a certificate that is not part of the chain',
      () => [certificates.seal!, certificates.sub!, certificates.root!, certificates.stray!],
      'CERTIFICATE_CHAIN_INVALID',
      /not part of the chain.*Stray/,
    ],
    [
      'a CA certificate for the key',
      () => [certificates['seal-as-ca']!, certificates.sub!, certificates.root!],
      'CERTIFICATE_CHAIN_INVALID',
      /is a CA certificate/,
    ],
  ];
  for (const [what, chain, code, detail] of refusals) {
    it(`refuses ${what}, installing nothing`, async () => {
      certificates.stray ??= await ca.issue('stray', '/CN=Stray', CA_EXTENSIONS);
      if (!certificates['seal-as-ca']) {
        const { csr } = await requestKeyCertificate(pkiDir, keyStore, 'signet-sealing', {
          subject: parseDistinguishedName('CN=Acme Seal'),
          keyType: 'rsa-2048',
        });
        await certify('seal-as-ca', csr, CA_EXTENSIONS, 'sub');
      }
      await assert.rejects(
        importCertificateChain(pkiDir, keyStore, 'signet-sealing', chain()),
        refusedWith(code, detail),
      );
      assert.equal(await loadImportedIdentity(pkiDir, keyStore, 'signet-sealing'), undefined);
    });
  }

  it('refuses a chain that has expired by the time it is imported (an injected clock)', async () => {
    const chain = [certificates.root!, certificates.seal!, certificates.sub!];
    const later = new Date(Date.now() + 31 * 86_400_000);
    await assert.rejects(
      importCertificateChain(pkiDir, keyStore, 'signet-sealing', chain, later),
      refusedWith('CERTIFICATE_CHAIN_INVALID', /expired on/),
    );
  });

  it('installs the chain given in any order, and sealing takes up key + chain, the root of which relying parties trust', async () => {
    const imported = await importCertificateChain(pkiDir, keyStore, 'signet-sealing', [
      certificates.root!,
      certificates.seal!,
      certificates.sub!,
    ]);
    assert.deepEqual(imported.chain, [certificates.sub, certificates.root]);
    const stored = pemBlocks(
      readFileSync(join(pkiDir, 'chains', 'signet-sealing.chain.pem'), 'utf8'),
      'CERTIFICATE',
    );
    assert.deepEqual(stored, [certificates.seal, certificates.sub, certificates.root]);

    const override = await loadSealingOverride(loadConfig({ DATA_DIR: dataDir }), keyStore);
    assert.equal(override?.source, 'imported-chain');
    assert.deepEqual(override?.sealing.certificate, certificates.seal);
    assert.deepEqual(override?.sealing.chain, [certificates.sub, certificates.root]);
    assert.deepEqual(override?.rootDer, certificates.root);
    const data = new TextEncoder().encode('sealed bytes');
    const signature = await override!.sealing.sign(data);
    assert.ok(verify('sha256', data, new X509Certificate(certificates.seal!).publicKey, signature));

    // A renewal needs no --subject: the CSR names the certificate imported before.
    const renewal = await requestKeyCertificate(pkiDir, keyStore, 'signet-sealing', {
      subject: undefined,
      keyType: 'rsa-2048',
    });
    assert.equal(renewal.generated, false);
    writeFileSync(ca.file('renewal.csr'), toPem('CERTIFICATE REQUEST', renewal.csr));
    assert.match(
      await ca.openssl('req', '-in', ca.file('renewal.csr'), '-noout', '-subject', '-nameopt', 'RFC2253'),
      /subject=CN=Acme Seal,O=Acme GmbH,C=DE/,
    );
  });

  it('lets SEAL_PKCS12_PATH win, and asks for a chain when SEAL_KEY_LABEL names a key without one', async () => {
    await ca.openssl(
      'pkcs12',
      '-export',
      '-inkey',
      ca.file('stray.key'),
      '-in',
      ca.file('stray.pem'),
      '-out',
      ca.file('stray.p12'),
      '-passout',
      'pass:p12-password',
    );
    const withPkcs12 = loadConfig({
      DATA_DIR: dataDir,
      SEAL_PKCS12_PATH: ca.file('stray.p12'),
      SEAL_PKCS12_PASSWORD: 'p12-password',
    });
    const pkcs12 = await loadSealingOverride(withPkcs12, keyStore);
    assert.equal(pkcs12?.source, 'pkcs12');
    assert.deepEqual(pkcs12?.sealing.certificate, certificates.stray);

    await keyStore.generate('acme-seal-2027', 'ecdsa-p256-sha256');
    await assert.rejects(
      loadSealingOverride(loadConfig({ DATA_DIR: dataDir, SEAL_KEY_LABEL: 'acme-seal-2027' }), keyStore),
      refusedWith('SEALING_CHAIN_MISSING', /signet keys import-cert --key acme-seal-2027/),
    );
  });

  it('refuses to seal when the key in the store is no longer the one the imported certificate is for', async () => {
    unlinkSync(join(dataDir, 'keys', sealedKeyFileName('signet-sealing')));
    await keyStore.generate('signet-sealing', 'rsa-sha256');
    await assert.rejects(
      loadSealingOverride(loadConfig({ DATA_DIR: dataDir }), keyStore),
      refusedWith('KEY_CERTIFICATE_MISMATCH', /certifies another key than "signet-sealing"/),
    );
  });
});
