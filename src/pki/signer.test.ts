import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import { issueCertificate, KeyUsage, subjectPublicKeyOf } from './issue.ts';
import { sealingIdentityFromKeyObject, signingKeyFromKeyObject } from './signer.ts';

const data = new TextEncoder().encode('DER of the signed attributes');

async function selfSignedCertificate(privateKey: KeyObject): Promise<Uint8Array> {
  const now = Date.now();
  return issueCertificate(
    {
      subject: { commonName: 'Signer test' },
      subjectPublicKey: subjectPublicKeyOf(privateKey),
      notBefore: new Date(now),
      notAfter: new Date(now + 86_400_000),
      keyUsage: [KeyUsage.digitalSignature],
    },
    { key: signingKeyFromKeyObject(privateKey) },
  );
}

describe('signingKeyFromKeyObject', () => {
  it('signs with RSA PKCS#1 v1.5 over SHA-256', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = signingKeyFromKeyObject(privateKey);
    assert.equal(key.signatureAlgorithm, 'rsa-sha256');
    assert.ok(verify('sha256', data, publicKey, await key.sign(data)));
  });

  it('signs with ECDSA P-256 and returns the DER ECDSA-Sig-Value that CMS carries', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = signingKeyFromKeyObject(privateKey);
    assert.equal(key.signatureAlgorithm, 'ecdsa-p256-sha256');
    const signature = await key.sign(data);
    assert.ok(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature));
    // ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 5753 §2.1.1), not raw r‖s
    const parsed = asn1js.fromBER(signature).result;
    assert.ok(parsed instanceof asn1js.Sequence);
    assert.equal(parsed.valueBlock.value.length, 2);
  });

  it('refuses keys Signet does not sign with, naming the curve', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    assert.throws(() => signingKeyFromKeyObject(privateKey), {
      code: 'KEY_UNSUPPORTED',
      detail: /secp384r1/,
    });
    const ed25519 = generateKeyPairSync('ed25519').privateKey;
    assert.throws(() => signingKeyFromKeyObject(ed25519), { code: 'KEY_UNSUPPORTED' });
  });

  it('refuses a public key', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.throws(() => signingKeyFromKeyObject(publicKey), { code: 'KEY_UNSUPPORTED' });
  });
});

describe('sealingIdentityFromKeyObject', () => {
  it('pairs a key with its certificate', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const certificate = await selfSignedCertificate(privateKey);
    const identity = sealingIdentityFromKeyObject(privateKey, certificate, []);
    assert.deepEqual(identity.certificate, certificate);
    assert.deepEqual(identity.chain, []);
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const certificate = await selfSignedCertificate(privateKey);
    assert.throws(() => sealingIdentityFromKeyObject(other, certificate, []), {
      code: 'KEY_CERTIFICATE_MISMATCH',
    });
  });
});
