import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SealingIdentity, sealingIdentityFromKeyObject } from '../../src/pki/signer.ts';
import type { OpensslTsa } from './opensslTsa.ts';

/*
 * The OpenSSL peer's root (the one that certifies its TSA) acting as a CA for signing
 * certificates and CRLs, so a single NSS trust store covers signers, seal and time-stamps.
 */

/** A signing certificate from the peer's root: digitalSignature + nonRepudiation, no EKU. */
export function issueFromPeerRoot(tsa: OpensslTsa, commonName: string): SealingIdentity {
  const base = commonName.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: tsa.dir, stdio: 'pipe' });
  writeFileSync(
    join(tsa.dir, `${base}.ext`),
    'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature,nonRepudiation\n',
  );
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${base}.key`,
    '-out',
    `${base}.csr`,
    '-subj',
    `/CN=${commonName}`,
  );
  run(
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-CAcreateserial',
    '-out',
    `${base}.pem`,
    '-days',
    '30',
    '-extfile',
    `${base}.ext`,
  );
  const certificate = new Uint8Array(new X509Certificate(readFileSync(join(tsa.dir, `${base}.pem`))).raw);
  return sealingIdentityFromKeyObject(
    createPrivateKey(readFileSync(join(tsa.dir, `${base}.key`))),
    certificate,
    [tsa.rootDer],
  );
}

const crls = new Map<string, Uint8Array>();

/** An empty CRL from the peer's root, made by `openssl ca -gencrl` (DER; one per peer). */
export function peerRootCrl(tsa: OpensslTsa): Uint8Array {
  const cached = crls.get(tsa.dir);
  if (cached) return cached;
  const dir = tsa.dir;
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    `[ ca ]\ndefault_ca = peer\n[ peer ]\ndatabase = ${dir}/index.txt\ncrlnumber = ${dir}/crlnumber\ndefault_md = sha256\ndefault_crl_days = 7\n`,
  );
  execFileSync(
    'openssl',
    ['ca', '-gencrl', '-config', 'ca.cnf', '-keyfile', 'root.key', '-cert', 'root.pem', '-out', 'root.crl'],
    { cwd: dir, stdio: 'pipe' },
  );
  const crl = new Uint8Array(
    execFileSync('openssl', ['crl', '-in', 'root.crl', '-outform', 'DER'], { cwd: dir }),
  );
  crls.set(dir, crl);
  return crl;
}
