import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireTools, runTool } from '../../test/peers/pdfValidators.ts';
import { loadOrCreateMasterKey } from '../blobs/blobStore.ts';
import { SignetError } from '../errors.ts';
import { parseCertificate } from './certificateFields.ts';
import { serialOf } from './certificateRegistry.ts';
import { readCertificationRequest } from './csr.ts';
import { CA_LAYOUT, certificatePem, DEV_PKI_KEY_LABELS, loadOrCreateDevPki, pkiUrlsFor } from './devCa.ts';
import { parseDistinguishedName } from './distinguishedName.ts';
import { createFileKeyStore } from './fileKeyStore.ts';
import { importIssuingCa, importRootCrl, loadInstalledCa, requestIssuingCa } from './installedCa.ts';
import type { KeyStore } from './keyStore.ts';
import {
  assertOutsideDataDir,
  initOfflineRoot,
  issueRootCrl,
  OFFLINE_CA_FILES,
  type OfflineRoot,
  openOfflineRoot,
  signIssuingCa,
} from './offlineCa.ts';

/*
 * The offline root and the installation's issuing CA under it, at the level of the library:
 * what each step writes and refuses, checked with OpenSSL. The same flow through the `signet`
 * command, with a running installation sealing under the offline root, is in
 * test/endToEnd/productionPki.test.ts.
 */

const PASSPHRASE = 'correct horse battery staple';
const URLS = pkiUrlsFor('https://sign.acme.example');

const refusedWith = (code: string, detail?: RegExp) => (error: unknown) =>
  error instanceof SignetError && error.code === code && (detail === undefined || detail.test(error.detail));

describe('the offline root CA and the issuing CA installed under it', () => {
  const work = mkdtempSync(join(tmpdir(), 'signet-offline-ca-'));
  const offlineDir = join(work, 'offline');
  const dataDir = join(work, 'data');
  const pkiDir = join(dataDir, 'pki');
  const file = (name: string) => join(work, name);
  let root: OfflineRoot;
  let keyStore: KeyStore;

  const openssl = async (...args: string[]) => {
    const result = await runTool('openssl', args);
    assert.equal(result.exitCode, 0, `openssl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };

  before(async () => {
    root = await initOfflineRoot(offlineDir, {
      subject: parseDistinguishedName('CN=Acme Root CA,O=Acme GmbH,C=DE'),
      passphrase: PASSPHRASE,
      keyType: 'ecdsa-p256',
      validityYears: 20,
    });
    keyStore = createFileKeyStore(join(dataDir, 'keys'), loadOrCreateMasterKey(dataDir, undefined));
    writeFileSync(file('root.pem'), certificatePem(root.certificate));
  });
  after(async () => {
    await keyStore?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('keeps the root key encrypted (PBES2, AES-256, 600 000 PBKDF2-SHA256 iterations), readable by OpenSSL with the passphrase only', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    const keyFile = join(offlineDir, OFFLINE_CA_FILES.key);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(keyFile, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    const structure = await openssl('asn1parse', '-in', keyFile);
    for (const part of [/:PBES2/, /:PBKDF2/, /INTEGER +:0927C0/, /:hmacWithSHA256/, /:aes-256-cbc/]) {
      assert.match(structure, part);
    }
    await openssl('pkey', '-in', keyFile, '-passin', `pass:${PASSPHRASE}`, '-noout');
    const wrong = await runTool('openssl', [
      'pkey',
      '-in',
      keyFile,
      '-passin',
      'pass:not the passphrase',
      '-noout',
    ]);
    assert.notEqual(wrong.exitCode, 0);

    const text = await openssl(
      'x509',
      '-in',
      join(offlineDir, OFFLINE_CA_FILES.certificate),
      '-noout',
      '-text',
    );
    assert.match(text, /CA:TRUE/);
    assert.match(text, /Certificate Sign, CRL Sign/);
    await openssl('verify', '-CAfile', file('root.pem'), file('root.pem'));
  });

  it('never replaces a root, asks for a passphrase of 12 characters or more, and opens only with the right one', async () => {
    const again = {
      subject: parseDistinguishedName('CN=Other'),
      passphrase: PASSPHRASE,
      keyType: 'ecdsa-p256',
      validityYears: 1,
    } as const;
    await assert.rejects(initOfflineRoot(offlineDir, again), refusedWith('OFFLINE_CA_EXISTS'));
    await assert.rejects(
      initOfflineRoot(join(work, 'weak'), { ...again, passphrase: 'short' }),
      refusedWith('OFFLINE_CA_PASSPHRASE_INVALID', /at least 12 characters/),
    );
    await assert.rejects(
      openOfflineRoot(offlineDir, 'not the passphrase'),
      refusedWith('OFFLINE_CA_PASSPHRASE_INVALID', /wrong passphrase/),
    );
    await assert.rejects(openOfflineRoot(work, PASSPHRASE), refusedWith('OFFLINE_CA_NOT_FOUND'));
    const opened = await openOfflineRoot(offlineDir, PASSPHRASE);
    assert.deepEqual(opened.certificate, root.certificate);
  });

  it('refuses to keep the root inside DATA_DIR, through a symbolic link too', async () => {
    await assert.rejects(
      assertOutsideDataDir(join(dataDir, 'root'), dataDir),
      refusedWith('OFFLINE_CA_INSIDE_DATA_DIR'),
    );
    await assert.rejects(assertOutsideDataDir(dataDir, dataDir), refusedWith('OFFLINE_CA_INSIDE_DATA_DIR'));
    mkdirSync(dataDir, { recursive: true });
    symlinkSync(dataDir, file('link-to-data'));
    await assert.rejects(
      assertOutsideDataDir(join(work, 'link-to-data', 'root'), dataDir),
      refusedWith('OFFLINE_CA_INSIDE_DATA_DIR'),
    );
    await assertOutsideDataDir(offlineDir, dataDir);
    await assertOutsideDataDir(join(work, 'data-other'), dataDir);
  });

  it('certifies the issuing CA key of the installation from its CSR, which OpenSSL verifies under the root', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    const subject = parseDistinguishedName('CN=Acme Issuing CA,O=Acme GmbH,C=DE');
    const { csr, generated } = await requestIssuingCa(pkiDir, keyStore, CA_LAYOUT, {
      subject,
      keyType: 'ecdsa-p256',
    });
    assert.equal(generated, true);
    // Until the answer is installed, the installation refuses to start rather than make a development root.
    await assert.rejects(loadInstalledCa(pkiDir, keyStore, CA_LAYOUT), refusedWith('CA_IMPORT_PENDING'));

    const request = readCertificationRequest(csr, 'issuing.csr');
    const issuing = await signIssuingCa(root, request, {
      validityYears: 10,
      pointers: { caIssuersUrl: URLS.rootCertificate, crlUrl: URLS.rootCrl },
    });
    writeFileSync(file('issuing.pem'), certificatePem(issuing));
    await openssl('verify', '-CAfile', file('root.pem'), file('issuing.pem'));
    const text = await openssl('x509', '-in', file('issuing.pem'), '-noout', '-text', '-nameopt', 'RFC2253');
    assert.match(text, /Subject: CN=Acme Issuing CA,O=Acme GmbH,C=DE/);
    assert.match(text, /CA:TRUE, pathlen:0/);
    assert.match(text, /Certificate Sign, CRL Sign/);
    assert.match(text, /URI:https:\/\/sign\.acme\.example\/pki\/crl\/root\.crl/);
    assert.match(text, /CA Issuers - URI:https:\/\/sign\.acme\.example\/pki\/root-ca\.crt/);
    const serial = serialOf(parseCertificate(issuing).serialNumber);
    assert.deepEqual(await readdir(join(offlineDir, OFFLINE_CA_FILES.issued)), [`${serial}.crt.pem`]);

    await importIssuingCa(pkiDir, keyStore, CA_LAYOUT, {
      issuing: [issuing, root.certificate],
      root: root.certificate,
    });
    const installed = await loadInstalledCa(pkiDir, keyStore, CA_LAYOUT);
    assert.deepEqual(installed?.issuing.certificate, issuing);
    await assert.rejects(
      installed?.root.key.key.sign(new Uint8Array(1)) ?? Promise.resolve(),
      refusedWith('CA_ROOT_OFFLINE'),
    );
  });

  it('issues the installation’s certificates with that issuing CA, chaining to the offline root, with no root key in DATA_DIR', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    const dev = await loadOrCreateDevPki(pkiDir, { keyStore, publicUrl: 'https://sign.acme.example' });
    assert.deepEqual(dev.rootDer, root.certificate);
    writeFileSync(file('chain.pem'), certificatePem(dev.issuingCa.certificate));
    for (const identity of [dev.tsa, dev.sealing, dev.ocspResponder]) {
      writeFileSync(file('leaf.pem'), certificatePem(identity.certificate));
      await openssl('verify', '-CAfile', file('root.pem'), '-untrusted', file('chain.pem'), file('leaf.pem'));
      assert.deepEqual(identity.chain, [dev.issuingCa.certificate, root.certificate]);
    }
    assert.equal(await keyStore.open(DEV_PKI_KEY_LABELS.root), undefined, 'no root key in the key store');
    // The root's CRL cannot be signed here; until one is imported, asking for it says how to get one.
    await assert.rejects(dev.offlineRootCrl?.() ?? Promise.resolve(), refusedWith('CA_ROOT_CRL_MISSING'));
  });

  it('installs the root’s CRL, refusing a foreign one and an older one; revoking lists the serial', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    const first = await issueRootCrl(root, { validityDays: 180 });
    await importRootCrl(pkiDir, CA_LAYOUT, first);
    const installed = await loadInstalledCa(pkiDir, keyStore, CA_LAYOUT);
    assert.deepEqual(await installed?.rootCrl(), first);

    const issuingSerial = serialOf(
      parseCertificate(installed?.issuing.certificate ?? new Uint8Array()).serialNumber,
    );
    const second = await issueRootCrl(root, {
      validityDays: 180,
      revoke: { serial: issuingSerial, reason: 'superseded' },
    });
    writeFileSync(file('root.crl'), second);
    const crlText = await openssl(
      'crl',
      '-inform',
      'DER',
      '-in',
      file('root.crl'),
      '-CAfile',
      file('root.pem'),
      '-noout',
      '-text',
    );
    // OpenSSL prints whole bytes: a serial whose first nibble is 0 gets its leading zero back.
    assert.match(
      crlText,
      new RegExp(`Serial Number: 0*${issuingSerial.toUpperCase().replace(/^0+/, '')}\\n`),
    );
    assert.match(crlText, /Superseded/);
    assert.match(crlText, /CRL Number: \n\s+2/);
    await importRootCrl(pkiDir, CA_LAYOUT, second);
    await assert.rejects(
      importRootCrl(pkiDir, CA_LAYOUT, first),
      refusedWith('CERTIFICATE_CHAIN_INVALID', /newer/),
    );

    const other = await initOfflineRoot(join(work, 'other-root'), {
      subject: parseDistinguishedName('CN=Acme Root CA,O=Acme GmbH,C=DE'),
      passphrase: PASSPHRASE,
      keyType: 'ecdsa-p256',
      validityYears: 1,
    });
    const foreign = await issueRootCrl(other, { validityDays: 30 });
    await assert.rejects(
      importRootCrl(pkiDir, CA_LAYOUT, foreign),
      refusedWith('CERTIFICATE_CHAIN_INVALID', /not signed by/),
    );
    await assert.rejects(
      issueRootCrl(root, { validityDays: 1, revoke: { serial: 'abc123', reason: 'keyCompromise' } }),
      refusedWith('CERTIFICATE_NOT_FOUND'),
    );
  });

  it('refuses an issuing CA certificate for another key, one the root did not sign, and a root that is not one', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    // A CSR from a key this installation does not hold, certified by the right root.
    const csrFile = file('stranger.csr');
    await openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      file('stranger.key'),
      '-out',
      csrFile,
      '-subj',
      '/CN=Stranger CA',
    );
    const stranger = await signIssuingCa(root, readCertificationRequest(readFileSync(csrFile), csrFile), {
      validityYears: 1,
      pointers: {},
    });
    await assert.rejects(
      importIssuingCa(pkiDir, keyStore, CA_LAYOUT, { issuing: [stranger], root: root.certificate }),
      refusedWith('KEY_CERTIFICATE_MISMATCH', /certifies another key than "signet-issuing-ca"/),
    );

    const installed = await loadInstalledCa(pkiDir, keyStore, CA_LAYOUT);
    const issuing = installed?.issuing.certificate ?? new Uint8Array();
    const other = await openOfflineRoot(join(work, 'other-root'), PASSPHRASE);
    await assert.rejects(
      importIssuingCa(pkiDir, keyStore, CA_LAYOUT, { issuing: [issuing], root: other.certificate }),
      refusedWith('CERTIFICATE_CHAIN_INVALID', /was not signed by the root/),
    );
    await assert.rejects(
      importIssuingCa(pkiDir, keyStore, CA_LAYOUT, { issuing: [issuing], root: issuing }),
      refusedWith('CERTIFICATE_CHAIN_INVALID', /not a self-signed root/),
    );
    // What was installed before is untouched by the refusals.
    assert.deepEqual((await loadInstalledCa(pkiDir, keyStore, CA_LAYOUT))?.issuing.certificate, issuing);
  });

  it('refuses an offline-root setup while the key store holds a development root key', async () => {
    const otherData = join(work, 'dev-data');
    const devStore = createFileKeyStore(join(otherData, 'keys'), loadOrCreateMasterKey(otherData, undefined));
    await loadOrCreateDevPki(join(otherData, 'pki'), { keyStore: devStore });
    await assert.rejects(
      requestIssuingCa(join(otherData, 'pki'), devStore, CA_LAYOUT, {
        subject: parseDistinguishedName('CN=Issuing'),
        keyType: 'ecdsa-p256',
      }),
      refusedWith('CA_ONLINE_ROOT_PRESENT', /"signet-root-ca"/),
    );
  });
});
