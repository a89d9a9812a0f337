import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireTools } from '../../test/peers/pdfValidators.ts';
import { sealWithDevPki } from '../../test/support/devPkiSeals.ts';
import { makePdf } from '../../test/support/pdfFixtures.ts';
import { sealPdf } from '../pdf/seal.ts';
import { loadOrCreateDevPki } from '../pki/devCa.ts';
import type { VerificationReport } from './report.ts';

/** `signet verify` as an operator runs it: a real child process, no server, no database. */
const bin = join(import.meta.dirname, '..', '..', 'bin', 'signet.mjs');

describe('signet verify', () => {
  let dataDir: string;
  let elsewhere: string;
  const file = (name: string) => join(elsewhere, name);
  /** `signet verify ARGS`, or under `faketime -f OFFSET` when given `{ faketime }` first. */
  const signet = (...args: (string | { faketime: string })[]) => {
    const [first] = args;
    const clock = typeof first === 'object' ? ['faketime', '-f', first.faketime] : [];
    const rest = args.filter((a): a is string => typeof a === 'string');
    const [command, ...prefix] = [...clock, process.execPath];
    const result = spawnSync(command as string, [...prefix, bin, 'verify', ...rest], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'signet-verify-cli-'));
    elsewhere = await mkdtemp(join(tmpdir(), 'signet-verify-other-'));
    // This installation's PKI, whose root the command trusts without being told…
    const own = await loadOrCreateDevPki(join(dataDir, 'pki'));
    const sealed = await sealPdf(await makePdf(), own.sealing);
    await writeFile(file('sealed.pdf'), sealed);
    const tampered = Buffer.from(sealed);
    tampered[12] = (tampered[12] ?? 0) ^ 1;
    await writeFile(file('tampered.pdf'), tampered);
    await writeFile(file('archived.pdf'), await sealWithDevPki(own, 'B-LTA'));
    // …and another one's, trusted only with --trust.
    const other = await loadOrCreateDevPki(join(elsewhere, 'pki'));
    await writeFile(file('other-root.pem'), other.rootPem);
    await writeFile(file('other.pdf'), await sealPdf(await makePdf(), other.sealing));
    await writeFile(file('not.pdf'), 'hello');
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await rm(elsewhere, { recursive: true, force: true });
  });

  it('exits 0 for a valid seal by this installation and says why in plain text', () => {
    const result = signet(file('sealed.pdf'));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /sealed\.pdf: VALID/);
    assert.match(result.stdout, /Signature #1 'Signet seal': VALID \(PAdES B-B\)/);
    assert.match(result.stdout, /integrity: intact/);
  });

  it('exits 1 for a tampered file, and for a seal by a root it was not told to trust', () => {
    const tampered = signet(file('tampered.pdf'));
    assert.equal(tampered.code, 1);
    assert.match(tampered.stdout, /INVALID/);
    assert.match(tampered.stdout, /do not hash to the message-digest/);
    const foreign = signet(file('other.pdf'));
    assert.equal(foreign.code, 1);
    assert.match(foreign.stdout, /NOT trusted/);
  });

  it('trusts extra roots given with --trust and prints JSON with --json', () => {
    const result = signet(file('other.pdf'), '--trust', file('other-root.pem'), '--json');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as VerificationReport;
    assert.equal(report.verdict, 'valid');
    assert.equal(report.signatures[0]?.chain?.trusted, true);
  });

  it('validates as of another instant with --at: VALID tomorrow, INDETERMINATE once the archive time-stamp expired', () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const soon = signet(file('archived.pdf'), '--at', tomorrow);
    assert.equal(soon.code, 0, soon.stdout + soon.stderr);
    assert.match(soon.stdout, new RegExp(`validated as of ${tomorrow}`));
    assert.match(soon.stdout, /Signature #1 'Signet seal': VALID \(PAdES B-LTA\)/);

    const later = signet(file('archived.pdf'), '--at', '2099-01-01T00:00:00+01:00', '--json');
    assert.equal(later.code, 1, later.stdout + later.stderr);
    const report = JSON.parse(later.stdout) as VerificationReport;
    assert.equal(report.verdict, 'indeterminate');
    assert.equal(report.validationTime, '2098-12-31T23:00:00.000Z');
    assert.equal(report.findings[0]?.code, 'ARCHIVE_TIMESTAMP_EXPIRED');

    const text = signet(file('archived.pdf'), '--at', '2099-01-01T00:00:00Z');
    assert.match(text.stdout, /archived\.pdf: INDETERMINATE/);
    assert.match(text.stdout, /its TSA certificate "Signet Development Time-Stamping Authority" expired on/);
  });

  it('says INDETERMINATE with the clock itself 4 years ahead (faketime), as --at does', (t) => {
    if (!requireTools(t, ['faketime'])) return;
    const later = signet({ faketime: '+1461d' }, file('archived.pdf'), '--json');
    assert.equal(later.code, 1, later.stdout + later.stderr);
    const report = JSON.parse(later.stdout) as VerificationReport;
    assert.equal(report.verdict, 'indeterminate');
    assert.equal(report.findings[0]?.code, 'ARCHIVE_TIMESTAMP_EXPIRED');
    assert.ok(Date.parse(report.validationTime) > Date.now() + 3 * 365 * 86_400_000);
  });

  it('exits 2 for an --at that is not an ISO 8601 instant', () => {
    for (const at of ['tomorrow', '2031-06-01', '2031-06-01T00:00:00']) {
      const result = signet(file('archived.pdf'), '--at', at);
      assert.equal(result.code, 2, `${at}: ${result.stdout}`);
      assert.match(result.stderr, /VALIDATION_TIME_INVALID/);
    }
  });

  it('exits 2 with a clear code for input that is not a PDF, a missing file, or no file at all', () => {
    const notPdf = signet(file('not.pdf'));
    assert.equal(notPdf.code, 2);
    assert.match(notPdf.stderr, /PDF_NOT_PDF/);
    const missing = signet(file('missing.pdf'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /FILE_UNREADABLE/);
    const none = signet();
    assert.equal(none.code, 2);
    assert.match(none.stderr, /usage: signet verify FILE/);
  });
});
