import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { requireTools } from '../../test/peers/pdfValidators.ts';
import { createOpensslPki, type OpensslPki } from '../../test/support/opensslPki.ts';
import { SignetError } from '../errors.ts';
import { createCertificationRequest, readCertificationRequest } from './csr.ts';
import { parseDistinguishedName } from './distinguishedName.ts';
import { generatePrivateKey } from './fileKeyStore.ts';
import { subjectPublicKeyOf } from './issue.ts';
import { KEY_TYPES } from './keyStore.ts';
import { toPem } from './pem.ts';
import { signingKeyFromKeyObject } from './signer.ts';

/** PKCS#10 requests (RFC 2986) checked by OpenSSL, the tool a CA runs them through. */
describe('certification requests', () => {
  let pki: OpensslPki;
  before(async () => {
    pki = await createOpensslPki();
  });
  after(() => pki?.cleanup());

  for (const keyType of ['rsa-2048', 'ecdsa-p256'] as const) {
    it(`signs a request with a ${keyType} key that \`openssl req -verify\` accepts, naming the subject asked for`, async (t) => {
      if (!requireTools(t, ['openssl'])) return;
      const { algorithm, options } = KEY_TYPES[keyType];
      const privateKey = await generatePrivateKey(algorithm, options);
      const requester = {
        key: signingKeyFromKeyObject(privateKey),
        publicKey: subjectPublicKeyOf(privateKey),
      };
      const subject = parseDistinguishedName(
        'CN=Acme Seal,organizationIdentifier=VATDE-123456789,O=Acme GmbH,C=DE',
      );
      const csr = await createCertificationRequest(requester, subject);
      await writeFile(pki.file(`${keyType}.csr`), toPem('CERTIFICATE REQUEST', csr));

      const verified = await pki.openssl(
        'req',
        '-in',
        pki.file(`${keyType}.csr`),
        '-verify',
        '-noout',
        '-subject',
        '-nameopt',
        'RFC2253',
      );
      assert.match(
        verified,
        /^subject=CN=Acme Seal,organizationIdentifier=VATDE-123456789,O=Acme GmbH,C=DE$/m,
      );
      const publicKey = await pki.openssl('req', '-in', pki.file(`${keyType}.csr`), '-noout', '-pubkey');
      assert.equal(
        publicKey.trim(),
        createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString().trim(),
      );

      const read = readCertificationRequest(csr, 'the request');
      assert.deepEqual(read.publicKey, requester.publicKey);
      assert.deepEqual(read.subject.der, subject.der);
    });
  }

  it('reads a request OpenSSL made, PEM or DER, and refuses one whose signature does not verify', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    await pki.openssl(
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      pki.file('o.key'),
      '-out',
      pki.file('o.csr'),
      '-subj',
      '/C=DE/O=Acme GmbH/CN=Acme Issuing CA',
    );
    await pki.openssl('req', '-in', pki.file('o.csr'), '-outform', 'DER', '-out', pki.file('o.der'));
    const pem = new Uint8Array(await readFile(pki.file('o.csr')));
    const der = new Uint8Array(await readFile(pki.file('o.der')));
    assert.equal(readCertificationRequest(pem, 'o.csr').subjectText, 'CN=Acme Issuing CA,O=Acme GmbH,C=DE');
    assert.equal(readCertificationRequest(der, 'o.der').subjectText, 'CN=Acme Issuing CA,O=Acme GmbH,C=DE');

    // One bit of the subject changed after signing: the proof of possession no longer holds.
    const tampered = Buffer.from(der);
    const at = tampered.indexOf(Buffer.from('Acme Issuing'));
    tampered.writeUInt8((tampered[at] ?? 0) ^ 0x20, at);
    assert.throws(
      () => readCertificationRequest(new Uint8Array(tampered), 'tampered.csr'),
      (error: unknown) =>
        error instanceof SignetError && error.code === 'CSR_INVALID' && /does not verify/.test(error.detail),
    );
    assert.throws(
      () => readCertificationRequest(new Uint8Array(Buffer.from('not a request')), 'junk.csr'),
      (error: unknown) => error instanceof SignetError && error.code === 'CSR_INVALID',
    );
  });
});
