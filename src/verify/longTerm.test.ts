import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { issueCertificate, KeyUsage, subjectPublicKeyOf } from '../pki/issue.ts';
import { signingKeyFromKeyObject } from '../pki/signer.ts';
import { ParsedCertificate } from './certificates.ts';
import { lapseFinding, proveChain, type TimestampLink, TSA_CLOCK_TOLERANCE_MS } from './longTerm.ts';

/*
 * The proof chain on its own: time-stamps as links (what they cover, when, by which
 * certificates), decided from the newest document time-stamp down. Certificates are real, with
 * the validity each case needs; no PDF is involved.
 */

const YEAR = 365 * 86_400_000;
const t0 = new Date('2027-03-01T12:00:00Z');
const at = (offsetMs: number) => new Date(t0.getTime() + offsetMs);

async function certificate(name: string, notAfter: Date): Promise<ParsedCertificate> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const der = await issueCertificate(
    {
      subject: { commonName: name },
      subjectPublicKey: subjectPublicKeyOf(privateKey),
      notBefore: at(-YEAR),
      notAfter,
      keyUsage: [KeyUsage.digitalSignature],
    },
    { key: signingKeyFromKeyObject(privateKey) },
  );
  return ParsedCertificate.parse(der) as ParsedCertificate;
}

describe('the proof chain of time-stamps', () => {
  let threeYears: ParsedCertificate;
  let fiveYears: ParsedCertificate;
  const link = (
    kind: TimestampLink['kind'],
    fieldName: string,
    revision: number,
    genTime: Date,
    tsa: ParsedCertificate,
    revokedAt?: Date,
  ): TimestampLink => ({
    kind,
    fieldName,
    revision,
    genTime,
    validAtGenTime: true,
    path: [tsa],
    revocation: [
      {
        certificate: tsa.displayName,
        status: 'good',
        message: '',
        ...(revokedAt ? { revokedAt: revokedAt.toISOString() } : {}),
      },
    ],
  });

  before(async () => {
    threeYears = await certificate('Three-Year TSA', at(3 * YEAR));
    fiveYears = await certificate('Five-Year TSA', at(5 * YEAR));
  });

  it('takes the nearest covering document time-stamp when two prove the same second', () => {
    const signature = link('signature-timestamp', 'Seal', 1, t0, threeYears);
    const first = link('document-timestamp', 'First', 3, t0, threeYears);
    const second = link('document-timestamp', 'Second', 5, t0, fiveYears);
    const chain = proveChain([signature, first, second], at(1000));
    assert.deepEqual(chain.outcomes.get(signature)?.controlTime, {
      time: t0,
      source: 'document-timestamp',
      fieldName: 'First',
    });
    assert.deepEqual(chain.existenceProof(1), { time: t0, fieldName: 'First' });
  });

  it('lets a document time-stamp a few seconds behind the token it covers still prove it', () => {
    const signature = link('signature-timestamp', 'Seal', 1, at(TSA_CLOCK_TOLERANCE_MS), threeYears);
    const archive = link('document-timestamp', 'Archive', 3, t0, threeYears);
    const chain = proveChain([signature, archive], at(YEAR));
    assert.deepEqual(chain.outcomes.get(signature)?.lapses, []);
  });

  it('does not when the document time-stamp is further behind: the clocks contradict each other', () => {
    const signature = link('signature-timestamp', 'Seal', 1, at(TSA_CLOCK_TOLERANCE_MS + 1000), threeYears);
    const archive = link('document-timestamp', 'Archive', 3, t0, threeYears);
    const chain = proveChain([signature, archive], at(YEAR));
    const outcome = chain.outcomes.get(signature);
    assert.ok(outcome);
    const finding = lapseFinding(signature, outcome);
    assert.equal(finding?.code, 'SIGNATURE_TIMESTAMP_NOT_YET_VALID');
    assert.match(
      finding?.message ?? '',
      /later than the time .* that document time-stamp 'Archive' covering it proves/,
    );
  });

  it('says a renewal came too late when the earlier chain expired before the renewing time-stamp', () => {
    const signature = link('signature-timestamp', 'Seal', 1, t0, threeYears);
    const first = link('document-timestamp', 'First', 3, t0, threeYears);
    const late = link('document-timestamp', 'Late', 5, at(3 * YEAR + 86_400_000), fiveYears);
    const chain = proveChain([signature, first, late], at(4 * YEAR));
    assert.equal(chain.outcomes.get(late)?.proven, true);
    const firstOutcome = chain.outcomes.get(first);
    assert.ok(firstOutcome);
    assert.equal(firstOutcome.proven, false);
    const finding = lapseFinding(first, firstOutcome);
    assert.equal(finding?.code, 'ARCHIVE_TIMESTAMP_EXPIRED');
    assert.match(
      finding?.message ?? '',
      /^its TSA certificate "Three-Year TSA" expired on .*, before document time-stamp 'Late' .* covered it: it was renewed too late$/,
    );
    // The signature is covered by both; only the late one is proven, and too late for it as well.
    assert.equal(chain.outcomes.get(signature)?.controlTime.source, 'document-timestamp');
    assert.equal(chain.outcomes.get(signature)?.proven, false);
  });

  it('ends the proof at a revocation after genTime but before the control time, not at one after it', () => {
    const revokedAt = at(YEAR);
    const archive = link('document-timestamp', 'Archive', 3, t0, threeYears, revokedAt);
    const before = proveChain([archive], at(YEAR - 1000)).outcomes.get(archive);
    assert.deepEqual(before?.lapses, []);
    const after = proveChain([archive], at(2 * YEAR)).outcomes.get(archive);
    assert.ok(after);
    const finding = lapseFinding(archive, after);
    assert.equal(finding?.code, 'ARCHIVE_TIMESTAMP_REVOKED');
    assert.match(
      finding?.message ?? '',
      /its TSA certificate "Three-Year TSA" was revoked on 2028-02-29T12:00:00.000Z/,
    );
  });

  it('leaves a token that was not valid at its own time out of the chain', () => {
    const broken = { ...link('document-timestamp', 'Broken', 5, t0, fiveYears), validAtGenTime: false };
    const signature = link('signature-timestamp', 'Seal', 1, t0, threeYears);
    const chain = proveChain([signature, broken], at(4 * YEAR));
    assert.equal(chain.outcomes.has(broken), false);
    assert.equal(chain.outcomes.get(signature)?.controlTime.source, 'validation-time');
    assert.equal(chain.existenceProof(1), undefined);
  });
});
