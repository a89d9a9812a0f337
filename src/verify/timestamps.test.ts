import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { hasTool, installCommandFor } from '../../test/peers/pdfValidators.ts';
import {
  CA_EXTENSIONS,
  createOpensslPki,
  type OpensslPki,
  opensslTimestampToken,
  SIGNER_EXTENSIONS,
  TSA_EXTENSIONS,
} from '../../test/support/opensslPki.ts';
import { CMS_OID, createPadesCms } from '../pdf/cms.ts';
import { type DevPki, loadOrCreateDevPki } from '../pki/devCa.ts';
import { createDevTsa } from '../pki/timestamping/devTsa.ts';
import { timeStampQuery } from '../pki/timestamping/tsaClient.ts';
import { buildPath, checkPath } from './certificatePath.ts';
import { ParsedCertificate } from './certificates.ts';
import { verifyCms } from './cmsSignedData.ts';
import { checkTimestampToken } from './timestamps.ts';

/*
 * RFC 3161 tokens made by OpenSSL's TSA (`openssl ts -reply`), the independent peer: the same
 * code checks signature time-stamps inside a CMS and document time-stamps over a ByteRange.
 */

const skip = hasTool('openssl') ? false : installCommandFor(['openssl']);

describe('time-stamp tokens from OpenSSL', { skip }, () => {
  let pki: OpensslPki;
  let ca: ParsedCertificate;
  let devPki: DevPki;

  before(async () => {
    pki = await createOpensslPki();
    ca = ParsedCertificate.parse(
      await pki.issue('ca', '/CN=Test TSA Root', CA_EXTENSIONS),
    ) as ParsedCertificate;
    await pki.issue('tsa', '/CN=Test TSA', TSA_EXTENSIONS, 'ca');
    await pki.issue('nottsa', '/CN=Not A TSA', SIGNER_EXTENSIONS, 'ca');
    devPki = await loadOrCreateDevPki(pki.file('dev-pki'));
  });
  after(() => pki?.cleanup());

  it('accepts a token whose imprint is the SHA-256 of the time-stamped data', async () => {
    const data = new TextEncoder().encode('the ByteRange content of a revision');
    const token = checkTimestampToken(await opensslTimestampToken(pki, data), data);
    assert.ok(!('malformed' in token));
    assert.equal(token.imprintMatches, true);
    assert.equal(token.signatureValid, true);
    assert.deepEqual(token.findings, []);
    assert.ok(Math.abs(token.genTime.getTime() - Date.now()) < 60_000);
    assert.equal(token.tsaName, 'Test TSA');
    assert.ok(token.tsaCertificate);
    const path = buildPath(token.tsaCertificate, token.cms.certificates, [ca]);
    assert.equal(path.trusted, true);
    assert.deepEqual(checkPath(path, token.genTime, 'timestamping', 'TSA'), []);
  });

  it('reports a token over other data as an imprint mismatch', async () => {
    const token = checkTimestampToken(
      await opensslTimestampToken(pki, new TextEncoder().encode('original')),
      new TextEncoder().encode('something else'),
    );
    assert.ok(!('malformed' in token));
    assert.equal(token.imprintMatches, false);
    assert.ok(token.findings.some((f) => f.code === 'TIMESTAMP_IMPRINT_MISMATCH'));
  });

  it('reports a tampered token: the TSA signature no longer verifies', async () => {
    const data = new TextEncoder().encode('data');
    const der = Buffer.from(await opensslTimestampToken(pki, data));
    der[der.length - 10] = (der[der.length - 10] ?? 0) ^ 0xff; // inside the signature value
    const token = checkTimestampToken(der, data);
    assert.ok(!('malformed' in token));
    assert.equal(token.signatureValid, false);
  });

  it('refuses a TSA certificate without the id-kp-timeStamping extended key usage', async () => {
    const data = new TextEncoder().encode('data');
    const token = checkTimestampToken(
      await opensslTimestampToken(pki, data, 'nottsa').catch(() => new Uint8Array()),
      data,
    );
    if ('malformed' in token) return; // OpenSSL itself refuses to sign with it, which is just as good
    assert.ok(token.tsaCertificate);
    const findings = checkPath(
      buildPath(token.tsaCertificate, token.cms.certificates, [ca]),
      token.genTime,
      'timestamping',
      'TSA',
    );
    assert.ok(findings.some((f) => f.code === 'EXTENDED_KEY_USAGE_MISMATCH'));
  });

  it('says a token is malformed rather than failing on garbage', () => {
    const token = checkTimestampToken(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), new Uint8Array());
    assert.ok('malformed' in token);
    assert.equal(token.malformed.code, 'TIMESTAMP_MALFORMED');
  });

  it('checks a signature time-stamp attribute: the imprint covers the SignerInfo signature value', async () => {
    const content = new TextEncoder().encode('signed byte ranges');
    const digest = createHash('sha256').update(content).digest();
    let stamped: Uint8Array | undefined;
    const cms = await createPadesCms(digest, devPki.sealing, {
      unsignedAttributes: async (signatureValue) => {
        stamped = await opensslTimestampToken(pki, signatureValue);
        return [{ type: CMS_OID.signatureTimeStampToken, values: [stamped] }];
      },
    });
    const verified = verifyCms(cms, content);
    assert.ok(!('malformed' in verified));
    assert.equal(verified.signatureValid, true);
    const attribute = verified.unsignedAttributes.get(CMS_OID.signatureTimeStampToken)?.[0];
    assert.ok(attribute);
    const token = checkTimestampToken(new Uint8Array(attribute.toBER()), verified.signatureValue);
    assert.ok(!('malformed' in token));
    assert.equal(token.imprintMatches, true);
    assert.equal(token.signatureValid, true);
    const overContent = checkTimestampToken(new Uint8Array(attribute.toBER()), content);
    assert.ok(!('malformed' in overContent));
    assert.equal(
      overContent.imprintMatches,
      false,
      'the imprint is over the signature value, not the content',
    );
  });
});

describe("time-stamp tokens from Signet's own TSA", () => {
  let devPki: DevPki;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signet-devtsa-'));
    devPki = await loadOrCreateDevPki(dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function devToken(data: Uint8Array): Promise<Uint8Array> {
    const imprint = new Uint8Array(createHash('sha256').update(data).digest());
    const response = pkijs.TimeStampResp.fromBER(
      await createDevTsa({ identity: devPki.tsa }).respond(timeStampQuery(imprint, 42n)),
    );
    assert.ok(response.timeStampToken);
    return new Uint8Array(response.timeStampToken.toSchema().toBER());
  }

  it('accepts a token from the dev TSA, whose TSTInfo is a plain DER OCTET STRING', async () => {
    const data = new TextEncoder().encode('a revision');
    const token = checkTimestampToken(await devToken(data), data);
    assert.ok(!('malformed' in token), JSON.stringify(token));
    assert.equal(token.imprintMatches, true);
    assert.equal(token.signatureValid, true);
    assert.equal(token.tsaName, 'Signet Development Time-Stamping Authority');
  });

  it('reads a TSTInfo carried in a constructed (BER) OCTET STRING, as pkijs writes by default', async () => {
    const data = new TextEncoder().encode('a revision');
    const contentInfo = pkijs.ContentInfo.fromBER(await devToken(data));
    const signedData = new pkijs.SignedData({ schema: contentInfo.content });
    const tstInfo = signedData.encapContentInfo.eContent?.getValue();
    assert.ok(tstInfo);
    // The constructor splits a primitive eContent into a constructed one (BER, X.690 §8.7.3.2).
    signedData.encapContentInfo = new pkijs.EncapsulatedContentInfo({
      eContentType: signedData.encapContentInfo.eContentType,
      eContent: new asn1js.OctetString({ valueHex: tstInfo }),
    });
    assert.equal(signedData.encapContentInfo.eContent?.idBlock.isConstructed, true);
    const ber = new pkijs.ContentInfo({
      contentType: contentInfo.contentType,
      content: signedData.toSchema(true),
    });
    const token = checkTimestampToken(new Uint8Array(ber.toSchema().toBER()), data);
    assert.ok(!('malformed' in token), JSON.stringify(token));
    assert.equal(token.imprintMatches, true);
    assert.equal(token.signatureValid, true);
  });
});
