import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { solidPng } from '../../test/support/png.ts';
import { SignetError } from '../errors.ts';
import {
  type CertificateEvent,
  type CertificateOfCompletion,
  type CertificateRecipient,
  formatUtc,
  renderCertificateOfCompletion,
} from './certificatePdf.ts';

const run = promisify(execFile);
let workDir = '';

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'signet-certificate-'));
});
after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Fixtures

const digest = (seed: string) => seed.repeat(64).slice(0, 64);

function recipient(n: number, overrides: Partial<CertificateRecipient> = {}): CertificateRecipient {
  return {
    name: `Recipient Number${n}`,
    email: `recipient${n}@example.com`,
    role: 'signer',
    routingOrder: n,
    status: 'signed',
    identityMethods: ['email link'],
    ip: `198.51.100.${n}`,
    userAgent:
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
    viewedAt: '2024-05-01T09:58:00Z',
    consentedAt: '2024-05-01T09:58:30Z',
    signedAt: '2024-05-01T10:00:00Z',
    ...overrides,
  };
}

function event(n: number): CertificateEvent {
  const at = new Date(Date.UTC(2024, 4, 1, 9, 0, 0) + n * 1000).toISOString();
  return {
    at,
    text: `actor${n}@example.com opened the document`,
    device: 'Chrome on Linux',
    ip: '203.0.113.7',
  };
}

function certificate(overrides: Partial<CertificateOfCompletion> = {}): CertificateOfCompletion {
  return {
    envelopeId: 'env_7J3QK2M9XW',
    title: 'Mutual Non-Disclosure Agreement',
    organizationName: 'Northwind Traders',
    status: 'completed',
    documents: [
      { name: 'nda.pdf', pages: 3, sha256: digest('a1') },
      { name: 'annex.pdf', pages: 1, sha256: digest('b2') },
    ],
    resultSha256: [{ kind: 'completedBeforeCertificate', sha256: digest('c3') }],
    recipients: [
      recipient(1, { signatureImage: solidPng(40, 20) }),
      recipient(2, {
        status: 'declined',
        signedAt: undefined,
        declinedAt: '2024-05-01T12:00:00+02:00',
        declineReason: 'Clause 4 is wrong',
        signatureText: 'Typed Signer',
      }),
    ],
    events: [event(1), event(2), { at: '2024-05-01T10:00:00Z', text: 'Everyone has completed the envelope' }],
    auditHeadHash: digest('d4'),
    generatedAt: '2024-05-01T10:05:00Z',
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading the result as a person or a tool would

async function savePdf(bytes: Uint8Array): Promise<string> {
  const path = join(workDir, `certificate-${Math.random().toString(36).slice(2)}.pdf`);
  await writeFile(path, bytes);
  return path;
}

async function pdfText(path: string, page?: number): Promise<string> {
  const range = page ? ['-f', String(page), '-l', String(page)] : [];
  const { stdout } = await run('pdftotext', [...range, '-layout', path, '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

async function pageCount(path: string): Promise<number> {
  const { stdout } = await run('pdfinfo', [path]);
  return Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1]);
}

async function pageSizes(path: string): Promise<string[]> {
  const { stdout } = await run('pdfinfo', ['-f', '1', '-l', '999', path]);
  return [...stdout.matchAll(/^Page\s+\d+ size:\s+([\d.]+ x [\d.]+) pts/gm)].map((match) => match[1] ?? '');
}

// ---------------------------------------------------------------------------------------------

describe('renderCertificateOfCompletion', () => {
  let path = '';
  let text = '';

  before(async () => {
    path = await savePdf(await renderCertificateOfCompletion(certificate()));
    text = await pdfText(path);
  });

  it('is a valid A4 PDF headed "Certificate of Completion"', async () => {
    await run('qpdf', ['--check', path]);
    assert.ok((await pageSizes(path)).every((size) => size === '595.28 x 841.89'));
    assert.match(text, /Certificate of Completion/);
  });

  it('shows the envelope summary', () => {
    for (const value of [
      'env_7J3QK2M9XW',
      'Mutual Non-Disclosure Agreement',
      'Northwind Traders',
      'COMPLETED',
    ]) {
      assert.ok(text.includes(value), `shows ${value}`);
    }
    assert.match(text, /2 documents, 4 pages/);
    assert.match(text, /Certificate generated\s+2024-05-01T10:05:00Z/);
  });

  it('shows every document, result and audit-chain hash in full (digests split in two equal lines)', () => {
    assert.ok(text.includes(digest('d4')), 'the audit chain head fits on one line');
    for (const hash of [digest('a1'), digest('b2'), digest('c3')]) {
      assert.ok(text.includes(hash.slice(0, 32)) && text.includes(hash.slice(32)), `shows ${hash}`);
    }
    assert.match(text, /nda\.pdf\s+3/);
    assert.match(text, /Completed document \(fields applied, before this certificate\)/);
  });

  it("shows each recipient's name, email, IP address, role and times in UTC", () => {
    for (const n of [1, 2]) {
      for (const value of [`Recipient Number${n}`, `recipient${n}@example.com`, `198.51.100.${n}`]) {
        assert.ok(text.includes(value), `shows ${value}`);
      }
    }
    assert.match(text, /Signer/);
    assert.match(text, /Signed\s+2024-05-01T10:00:00Z/);
    assert.match(text, /Declined\s+2024-05-01T10:00:00Z/, 'the +02:00 decline time is shown in UTC');
    assert.match(text, /Clause 4 is wrong/);
  });

  it('shows the adopted signatures: the drawn image and the typed text', async () => {
    const { stdout } = await run('pdfimages', ['-list', path]);
    assert.match(stdout, /\bimage\s+40\s+20\b/, 'the 40 × 20 signature PNG is embedded');
    assert.match(text, /Typed Signer/);
  });

  it('lists the audit trail in plain words, with times, devices and IP addresses', () => {
    assert.match(
      text,
      /2024-05-01T09:00:01Z\s+actor1@example\.com opened the document\s+Chrome on Linux · 203\.0\.113\.7/,
    );
    assert.match(text, /2024-05-01T10:00:00Z\s+Everyone has completed the envelope\s+—/);
    assert.doesNotMatch(text, /recipient\.viewed|envelope\.completed/, 'no event codes');
  });

  it('puts the envelope id and "Page x of y" in the footer of every page', async () => {
    const pages = await pageCount(path);
    for (let page = 1; page <= pages; page++) {
      assert.match(
        await pdfText(path, page),
        new RegExp(`Envelope env_7J3QK2M9XW\\s+Page ${page} of ${pages}`),
      );
    }
  });

  it('gives the same bytes for the same input, so it can be re-derived and compared', async () => {
    const again = await renderCertificateOfCompletion(certificate());
    const first = await renderCertificateOfCompletion(certificate());
    assert.deepEqual(Buffer.from(again), Buffer.from(first));
  });
});

describe('renderCertificateOfCompletion with large envelopes', () => {
  it('breaks 50 recipients and 500 events over numbered pages without losing any', async () => {
    const recipients = Array.from({ length: 50 }, (_, index) => recipient(index + 1));
    const events = Array.from({ length: 500 }, (_, index) => event(index));
    const path = await savePdf(await renderCertificateOfCompletion(certificate({ recipients, events })));
    const pages = await pageCount(path);
    assert.ok(pages >= 10, `expected many pages, got ${pages}`);
    const text = await pdfText(path);
    for (const n of [1, 25, 50])
      assert.ok(text.includes(`recipient${n}@example.com`), `recipient ${n} is listed`);
    for (const n of [0, 250, 499]) assert.ok(text.includes(`actor${n}@example.com`), `event ${n} is listed`);
    assert.equal(text.match(/actor\d+@example\.com/g)?.length, 500, 'every event once');
    assert.match(await pdfText(path, pages), new RegExp(`Page ${pages} of ${pages}`));
    assert.match(
      await pdfText(path, pages),
      /TIME \(UTC\)/,
      'the audit table header repeats on its last page',
    );
    await run('qpdf', ['--check', path]);
  });

  it('wraps or truncates long names, titles and user agents instead of overflowing', async () => {
    const longName = `Maximilian ${'Alexander '.repeat(12)}Hohenzollern`;
    const longAgent = `Mozilla/5.0 ${'VeryLongToken/1.2.3 '.repeat(40)}`;
    const path = await savePdf(
      await renderCertificateOfCompletion(
        certificate({
          title: `Agreement ${'with many words '.repeat(40)}`,
          recipients: [recipient(1, { name: longName, userAgent: longAgent })],
        }),
      ),
    );
    const { stdout } = await run('pdftotext', ['-bbox', path, '-']);
    const rightEdges = [...stdout.matchAll(/xMax="([\d.]+)"/g)].map((match) => Number(match[1]));
    assert.ok(Math.max(...rightEdges) <= 595.28 - 50 + 0.5, 'no word crosses the right margin');
    assert.match(await pdfText(path), /…/, 'the cut is marked with an ellipsis');
  });

  it('shows non-Latin names as written', async () => {
    const path = await savePdf(
      await renderCertificateOfCompletion(
        certificate({
          title: 'Συμφωνία εμπιστευτικότητας',
          recipients: [recipient(1, { name: 'Иван Петров', signatureText: 'Иван Петров' })],
          events: [{ at: '2024-05-01T10:00:00Z', text: 'Иван Петров <ip@example.com> signed' }],
        }),
      ),
    );
    const text = await pdfText(path);
    assert.match(text, /Συμφωνία εμπιστευτικότητας/);
    assert.ok(text.split('Иван Петров').length - 1 >= 3, 'name, typed signature and audit actor');
    assert.doesNotMatch(text, /\?/);
  });

  it('shows text the fonts have no glyphs for as "?" instead of failing', async () => {
    const path = await savePdf(
      await renderCertificateOfCompletion(
        certificate({
          title: 'Vertrag über 💼 Zusammenarbeit',
          recipients: [recipient(1, { name: '张伟 Zhang 👍🏽', signatureText: '张伟' })],
          events: [{ at: '2024-05-01T10:00:00Z', text: '张伟 <zw@example.com> signed' }],
        }),
      ),
    );
    const text = await pdfText(path);
    assert.match(text, /\?\? Zhang \?/);
    assert.match(text, /Vertrag über \? Zusammenarbeit/);
    assert.match(text, /\?\? <zw@example\.com>/);
  });

  it('renders an envelope with no documents, recipients or events', async () => {
    const path = await savePdf(
      await renderCertificateOfCompletion(
        certificate({ documents: [], recipients: [], events: [], resultSha256: [] }),
      ),
    );
    const text = await pdfText(path);
    assert.match(text, /No documents\./);
    assert.match(text, /No recipients\./);
    assert.match(text, /No events recorded\./);
  });

  it('rejects an adopted signature that is not a PNG', async () => {
    const broken = certificate({ recipients: [recipient(1, { signatureImage: new Uint8Array([1, 2, 3]) })] });
    await assert.rejects(renderCertificateOfCompletion(broken), (error: unknown) => {
      assert.ok(error instanceof SignetError);
      assert.equal(error.code, 'INVALID_SIGNATURE_IMAGE');
      return true;
    });
  });
});

describe('renderCertificateOfCompletion for an organisation', () => {
  it('shows the organisation’s brand — product name, logo, colour — and never the platform’s', async () => {
    const bytes = await renderCertificateOfCompletion(
      certificate({
        brand: {
          productName: 'Northwind Sign',
          primaryColor: '#0b5d3b',
          logo: { bytes: solidPng(120, 30, [11, 93, 59, 255]), contentType: 'image/png' },
        },
      }),
    );
    const path = await savePdf(bytes);
    const text = await pdfText(path);
    assert.match(text, /NORTHWIND SIGN/);
    const { stdout: info } = await run('pdfinfo', [path]);
    assert.match(info, /^Producer:\s+Northwind Sign$/m);
    assert.match(info, /^Creator:\s+Northwind Sign$/m);
    const { stdout: images } = await run('pdfimages', ['-list', path]);
    assert.match(images, /\bimage\s+120\s+30\b/, 'the 120 × 30 logo is embedded');
    assert.doesNotMatch(`${text}\n${info}`, /Signet/);
    // The brand's colour draws the title: its fill colour is in the (uncompressed) page content.
    const plain = join(workDir, 'plain.pdf');
    await run('qpdf', ['--qdf', '--object-streams=disable', path, plain]);
    assert.match(await readFile(plain, 'latin1'), /0\.0431\d* 0\.3647\d* 0\.2313\d* rg/);
  });

  it('shows the consent wording each signer agreed to, and a cc recipient as receiving a copy', async () => {
    const path = await savePdf(
      await renderCertificateOfCompletion(
        certificate({
          recipients: [
            recipient(1, { consentText: 'I agree to sign electronically with Northwind, as on paper.' }),
            {
              name: 'Carla Copy',
              email: 'carla@example.com',
              role: 'cc',
              routingOrder: 2,
              status: 'received a copy',
              identityMethods: [],
              copySentAt: '2024-05-01T10:06:00Z',
            },
          ],
        }),
      ),
    );
    const text = await pdfText(path);
    assert.match(
      text,
      /Agreed to\s+“I agree to sign electronically with Northwind, as on\s[\s\S]{0,120}paper\.”/,
    );
    assert.match(text, /RECEIVED A COPY/);
    assert.match(text, /Completed document sent 2024-05-01T10:06:00Z/);
    assert.match(text, /Receives a copy; no signature/);
    assert.doesNotMatch(text.slice(text.indexOf('Carla Copy')), /^\s*(Viewed|Consented|Signed)\s+—/m);
  });
});

describe('formatUtc', () => {
  const cases = [
    { input: '2024-05-01T10:00:00Z', shown: '2024-05-01T10:00:00Z', why: 'keeps a UTC time' },
    { input: '2024-05-01T12:00:00+02:00', shown: '2024-05-01T10:00:00Z', why: 'converts an offset to UTC' },
    {
      input: '2024-05-01T10:00:00.250Z',
      shown: '2024-05-01T10:00:00.250Z',
      why: 'keeps milliseconds that matter',
    },
    {
      input: '2024-05-01T10:00:00',
      shown: '2024-05-01T10:00:00Z',
      why: 'reads a zoneless time as UTC, not local',
    },
    { input: 'not a time', shown: 'not a time', why: 'shows an unparsable value as given' },
  ];
  for (const { input, shown, why } of cases) {
    it(why, () => assert.equal(formatUtc(input), shown));
  }
});

describe('renderCertificateOfCompletion in German', () => {
  it('labels every part in German, and keeps times in ISO 8601 UTC', async () => {
    const path = await savePdf(
      await renderCertificateOfCompletion(
        certificate({
          language: 'de',
          recipients: [
            recipient(1, { consentText: 'Ich stimme der elektronischen Unterschrift zu.' }),
            recipient(2, { status: 'declined', declinedAt: '2024-05-01T12:00:00Z', declineReason: 'Falsch' }),
          ],
        }),
      ),
    );
    const text = await pdfText(path);
    for (const label of [
      'Abschlusszertifikat',
      'Umschlag-ID',
      '2 Dokumente, 4 Seiten',
      'ORIGINALDOKUMENT',
      'Ausgefülltes Dokument (Felder eingesetzt, vor diesem Zertifikat)',
      'Identitätsprüfungen',
      'Unterzeichner',
      'Reihenfolge 1',
      'Zugestimmt zu',
      '„Ich stimme der elektronischen Unterschrift zu.“',
      'Grund der Ablehnung',
      'ABGESCHLOSSEN',
      'ABGELEHNT',
      'Protokoll',
      'ZEIT (UTC)',
      'Seite 1 von',
      '2024-05-01T10:00:00Z',
    ]) {
      assert.ok(text.includes(label), `“${label}” on the German certificate`);
    }
    for (const english of [
      'Certificate of Completion',
      'Recipients',
      'Audit trail',
      'Page 1 of',
      'routing order',
    ]) {
      assert.ok(!text.includes(english), `no “${english}” on the German certificate`);
    }
    const { stdout: info } = await run('pdfinfo', [path]);
    assert.match(info, /^Title:\s+Abschlusszertifikat — Mutual Non-Disclosure Agreement$/m);
  });
});
