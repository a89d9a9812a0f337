import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { verify, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { requireTools } from '../../test/peers/pdfValidators.ts';
import { exportDevPkiKey } from '../../test/support/devPkiFixture.ts';
import { SignetError } from '../errors.ts';
import { type DevPki, loadOrCreateDevPki } from './devCa.ts';
import { loadSealingIdentityFromPkcs12 } from './pkcs12.ts';

const PASSWORD = 'Pässwörd 1';

let work: string;
let pki: DevPki;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-p12-'));
  pki = await loadOrCreateDevPki(join(work, 'pki'));
  await writeFile(
    join(work, 'chain.pem'),
    (await readFile(join(work, 'pki', 'issuing-ca.crt.pem'), 'utf8')) + pki.rootPem,
  );
});

after(() => rm(work, { recursive: true, force: true }));

/** `openssl pkcs12 -export` of the dev sealing key, certificate and chain, plus `extraArgs`. */
async function exportPkcs12(name: string, extraArgs: string[] = []): Promise<Uint8Array> {
  const out = join(work, `${name}.p12`);
  execFileSync(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-inkey',
      await exportDevPkiKey(join(work, 'pki'), 'signet-sealing', join(work, 'sealing.key.pem')),
      '-in',
      join(work, 'pki', 'sealing.crt.pem'),
      '-certfile',
      join(work, 'chain.pem'),
      '-passout',
      `pass:${PASSWORD}`,
      '-out',
      out,
      ...extraArgs,
    ],
    { stdio: 'pipe' },
  );
  return readFile(out);
}

function assertInvalid(load: () => unknown, detail: RegExp): void {
  assert.throws(load, (error: unknown) => {
    assert.ok(error instanceof SignetError, String(error));
    assert.equal(error.code, 'PKCS12_INVALID');
    assert.match(error.detail, detail);
    return true;
  });
}

async function assertLoadsDevSealingIdentity(
  t: TestContext,
  name: string,
  extraArgs: string[] = [],
): Promise<void> {
  if (!requireTools(t, ['openssl'])) return;
  const identity = loadSealingIdentityFromPkcs12(await exportPkcs12(name, extraArgs), PASSWORD);
  assert.equal(identity.signatureAlgorithm, 'rsa-sha256');
  assert.deepEqual(
    Buffer.from(identity.certificate),
    Buffer.from(pki.sealing.certificate),
    'certificate bytes',
  );
  assert.deepEqual(
    identity.chain.map((der) => new X509Certificate(der).subject),
    pki.sealing.chain.map((der) => new X509Certificate(der).subject),
    'chain from the nearest issuer up to the root',
  );
  const data = new TextEncoder().encode('signed attributes');
  const signature = await identity.sign(data);
  assert.ok(verify('sha256', data, new X509Certificate(identity.certificate).publicKey, signature));
}

describe('loadSealingIdentityFromPkcs12', () => {
  it('reads a file written by OpenSSL 3 defaults (PBES2/AES-256, HMAC-SHA-256)', async (t) => {
    await assertLoadsDevSealingIdentity(t, 'modern');
  });

  it('reads a legacy file (3DES PBE, SHA-1 MAC) as older tools and Windows write them', async (t) => {
    await assertLoadsDevSealingIdentity(t, 'legacy', [
      '-certpbe',
      'PBE-SHA1-3DES',
      '-keypbe',
      'PBE-SHA1-3DES',
      '-macalg',
      'sha1',
    ]);
  });

  it('reads a file whose certificates are not encrypted', async (t) => {
    await assertLoadsDevSealingIdentity(t, 'plain-certs', ['-certpbe', 'NONE']);
  });

  it('rejects a wrong password with PKCS12_INVALID', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    const p12 = await exportPkcs12('wrong-password');
    assertInvalid(() => loadSealingIdentityFromPkcs12(p12, 'Passwort 1'), /wrong password/);
  });

  it('rejects a file that is not PKCS#12 with PKCS12_INVALID', () => {
    assertInvalid(() => loadSealingIdentityFromPkcs12(new TextEncoder().encode(pki.rootPem), PASSWORD), /./);
    assertInvalid(() => loadSealingIdentityFromPkcs12(new Uint8Array(), PASSWORD), /./);
  });

  it('rejects a file damaged after export with PKCS12_INVALID', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    const p12 = new Uint8Array(await exportPkcs12('damaged'));
    p12[Math.floor(p12.length / 2)] = (p12[Math.floor(p12.length / 2)] ?? 0) ^ 0xff;
    assertInvalid(() => loadSealingIdentityFromPkcs12(p12, PASSWORD), /./);
  });

  it('rejects a file without a private key with PKCS12_INVALID', async (t) => {
    if (!requireTools(t, ['openssl'])) return;
    const p12 = await exportPkcs12('certificates-only', ['-nokeys']);
    assertInvalid(() => loadSealingIdentityFromPkcs12(p12, PASSWORD), /no private key/);
  });
});
