import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { requireTools, runOpensslCmsVerify } from '../../test/peers/pdfValidators.ts';
import { useDevPki } from '../../test/support/devPkiFixture.ts';
import { issueCertificate, KeyUsage, subjectPublicKeyOf } from '../pki/issue.ts';
import { type SealingIdentity, sealingIdentityFromKeyObject } from '../pki/signer.ts';
import { CMS_OID, createPadesCms } from './cms.ts';

const suite = useDevPki('signet-cms-');

const content = new TextEncoder().encode('the bytes named by /ByteRange');
const digest = createHash('sha256').update(content).digest();

function signerInfoOf(cms: Uint8Array): { signedData: pkijs.SignedData; signerInfo: pkijs.SignerInfo } {
  const contentInfo = pkijs.ContentInfo.fromBER(cms);
  assert.equal(contentInfo.contentType, CMS_OID.signedData);
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  const [signerInfo] = signedData.signerInfos;
  assert.ok(signerInfo);
  return { signedData, signerInfo };
}

function attributeTypes(attributes: pkijs.SignedAndUnsignedAttributes | undefined): string[] {
  return (attributes?.attributes ?? []).map((a) => a.type);
}

function onlyValue(signerInfo: pkijs.SignerInfo, type: string): asn1js.AsnType {
  const attribute = signerInfo.signedAttrs?.attributes.find((a) => a.type === type);
  assert.ok(attribute, `attribute ${type} missing`);
  assert.equal(attribute.values.length, 1);
  return attribute.values[0];
}

async function ecdsaIdentity(): Promise<SealingIdentity> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const certificate = await issueCertificate(
    {
      subject: { commonName: 'ECDSA test seal' },
      subjectPublicKey: subjectPublicKeyOf(privateKey),
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86_400_000),
      keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation],
    },
    suite.pki.issuingCa,
  );
  return sealingIdentityFromKeyObject(privateKey, certificate, suite.pki.sealing.chain);
}

describe('createPadesCms', () => {
  it('signs exactly content-type, message-digest and signing-certificate-v2 — no signing-time', async () => {
    const { signerInfo } = signerInfoOf(await createPadesCms(digest, suite.pki.sealing));
    assert.deepEqual(
      attributeTypes(signerInfo.signedAttrs).sort(),
      [CMS_OID.contentType, CMS_OID.messageDigest, CMS_OID.signingCertificateV2].sort(),
    );
    assert.ok(!attributeTypes(signerInfo.signedAttrs).includes(CMS_OID.signingTime));
    assert.equal(signerInfo.unsignedAttrs, undefined);
  });

  it('declares id-data as the content type and carries the given digest', async () => {
    const { signedData, signerInfo } = signerInfoOf(await createPadesCms(digest, suite.pki.sealing));
    const contentType = onlyValue(signerInfo, CMS_OID.contentType);
    assert.ok(contentType instanceof asn1js.ObjectIdentifier);
    assert.equal(contentType.valueBlock.toString(), CMS_OID.data);
    const messageDigest = onlyValue(signerInfo, CMS_OID.messageDigest);
    assert.ok(messageDigest instanceof asn1js.OctetString);
    assert.deepEqual(Buffer.from(messageDigest.valueBlock.valueHexView), digest);
    assert.equal(signedData.encapContentInfo.eContent, undefined, 'the signature must be detached');
  });

  it('binds the signing certificate by its SHA-256 hash and issuer/serial (RFC 5035)', async () => {
    const { signerInfo } = signerInfoOf(await createPadesCms(digest, suite.pki.sealing));
    const signingCertificateV2 = onlyValue(signerInfo, CMS_OID.signingCertificateV2);
    // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
    assert.ok(signingCertificateV2 instanceof asn1js.Sequence);
    const certs = signingCertificateV2.valueBlock.value[0];
    assert.ok(certs instanceof asn1js.Sequence);
    assert.equal(certs.valueBlock.value.length, 1);
    const essCertIdV2 = certs.valueBlock.value[0];
    assert.ok(essCertIdV2 instanceof asn1js.Sequence);
    const [certHash, issuerSerial] = essCertIdV2.valueBlock.value;
    // The first member is the hash itself: hashAlgorithm is omitted because SHA-256 is its DEFAULT.
    assert.ok(certHash instanceof asn1js.OctetString);
    assert.deepEqual(
      Buffer.from(certHash.valueBlock.valueHexView),
      createHash('sha256').update(suite.pki.sealing.certificate).digest(),
    );
    const parsedIssuerSerial = new pkijs.IssuerSerial({ schema: issuerSerial });
    const certificate = pkijs.Certificate.fromBER(suite.pki.sealing.certificate);
    assert.ok(parsedIssuerSerial.serialNumber.isEqual(certificate.serialNumber));
    assert.ok(parsedIssuerSerial.issuer.names[0]?.value.isEqual(certificate.issuer));
  });

  it('signs the DER SET of the signed attributes with the identity key (RFC 5652 §5.4)', async () => {
    const { signerInfo } = signerInfoOf(await createPadesCms(digest, suite.pki.sealing));
    const signedAttributes = new Uint8Array(signerInfo.signedAttrs!.encodedValue); // pkijs re-tags it as SET
    assert.equal(signedAttributes[0], 0x31);
    const publicKey = new X509Certificate(suite.pki.sealing.certificate).publicKey;
    const signature = signerInfo.signature.valueBlock.valueHexView;
    assert.ok(verify('sha256', signedAttributes, publicKey, signature));
  });

  it('encodes the signed attributes as a DER SET OF, members in ascending encoding order', async () => {
    const { signerInfo } = signerInfoOf(await createPadesCms(digest, suite.pki.sealing));
    const encodings = signerInfo.signedAttrs!.attributes.map((a) => Buffer.from(a.toSchema().toBER()));
    const sorted = [...encodings].sort(Buffer.compare);
    assert.deepEqual(encodings, sorted);
  });

  it('embeds the signer certificate byte for byte and the issuing CA, but not the root', async () => {
    const cms = Buffer.from(await createPadesCms(digest, suite.pki.sealing));
    const { signedData } = signerInfoOf(cms);
    assert.equal(signedData.certificates?.length, 2);
    assert.ok(
      cms.includes(Buffer.from(suite.pki.sealing.certificate)),
      'signer certificate re-encoded or missing',
    );
    assert.ok(cms.includes(Buffer.from(suite.pki.sealing.chain[0]!)), 'issuing CA certificate missing');
    assert.ok(!cms.includes(Buffer.from(suite.pki.rootDer)), "the root is the verifier's to supply");
  });

  it('adds unsigned attributes computed from the signature value (the B-T time-stamp seam)', async () => {
    let seen: Uint8Array | undefined;
    const token = new asn1js.OctetString({ valueHex: new Uint8Array([1, 2, 3]) }).toBER();
    const cms = await createPadesCms(digest, suite.pki.sealing, {
      unsignedAttributes: async (signatureValue) => {
        seen = signatureValue;
        return [{ type: CMS_OID.signatureTimeStampToken, values: [new Uint8Array(token)] }];
      },
    });
    const { signerInfo } = signerInfoOf(cms);
    assert.deepEqual(seen, new Uint8Array(signerInfo.signature.valueBlock.valueHexView));
    assert.deepEqual(attributeTypes(signerInfo.unsignedAttrs), [CMS_OID.signatureTimeStampToken]);
  });

  it('produces CMS that OpenSSL verifies against the dev root, for RSA and for ECDSA', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    await writeFile(join(suite.work, 'content.bin'), content);
    await writeFile(join(suite.work, 'root.pem'), suite.pki.rootPem);
    for (const [name, identity] of [
      ['rsa', suite.pki.sealing],
      ['ecdsa', await ecdsaIdentity()],
    ] as const) {
      const cmsFile = join(suite.work, `${name}.p7s`);
      await writeFile(cmsFile, await createPadesCms(digest, identity));
      const result = await runOpensslCmsVerify(
        cmsFile,
        join(suite.work, 'content.bin'),
        join(suite.work, 'root.pem'),
      );
      assert.equal(result.exitCode, 0, `${name}: ${result.stderr}`);
    }
  });

  it('rejects a digest that is not SHA-256 sized', async () => {
    await assert.rejects(createPadesCms(new Uint8Array(20), suite.pki.sealing), {
      code: 'CMS_DIGEST_INVALID',
    });
  });
});
