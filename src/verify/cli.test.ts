import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
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
  const signet = (...args: string[]) => {
    const result = spawnSync(process.execPath, [bin, 'verify', ...args], {
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
