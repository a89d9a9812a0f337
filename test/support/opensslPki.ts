import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '../peers/pdfValidators.ts';

/*
 * A throwaway PKI driven through the openssl command line — an independent peer for Signet's
 * validator: time-stamp tokens from `openssl ts -reply`, OCSP responses from `openssl ocsp
 * -index`, CRLs from `openssl ca -gencrl`. Nothing listens on the network.
 */

export interface OpensslPki {
  dir: string;
  file(name: string): string;
  openssl(...args: string[]): Promise<string>;
  /** Issues a certificate `name`.pem/.key signed by `issuer` (a name issued earlier, or self-signed when undefined). */
  issue(name: string, subject: string, extensions: string, issuer?: string): Promise<Uint8Array>;
  /** DER of a PEM certificate file written earlier. */
  der(name: string): Promise<Uint8Array>;
  cleanup(): Promise<void>;
}

export async function createOpensslPki(): Promise<OpensslPki> {
  const dir = await mkdtemp(join(tmpdir(), 'signet-openssl-'));
  const file = (name: string) => join(dir, name);
  const openssl = async (...args: string[]) => {
    const result = await runTool('openssl', args);
    if (result.exitCode !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const der = async (name: string) => {
    await openssl('x509', '-in', file(`${name}.pem`), '-outform', 'DER', '-out', file(`${name}.der`));
    return new Uint8Array(await readFile(file(`${name}.der`)));
  };
  const issue = async (name: string, subject: string, extensions: string, issuer?: string) => {
    await writeFile(file(`${name}.ext`), extensions);
    await openssl(
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
      '-subj',
      subject,
    );
    const signer = issuer
      ? ['-CA', file(`${issuer}.pem`), '-CAkey', file(`${issuer}.key`), '-CAcreateserial']
      : ['-signkey', file(`${name}.key`)];
    await openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      ...signer,
      '-days',
      '30',
      '-sha256',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      file(`${name}.pem`),
    );
    return der(name);
  };
  return { dir, file, openssl, issue, der, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const CA_EXTENSIONS =
  'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n';
export const TSA_EXTENSIONS =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n';
export const OCSP_EXTENSIONS =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,OCSPSigning\n';
export const SIGNER_EXTENSIONS =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n';

/** `openssl ts -reply -token_out`: a TimeStampToken over `data` from the TSA `tsa` (with `ca` in its certs). */
export async function opensslTimestampToken(
  pki: OpensslPki,
  data: Uint8Array,
  tsa = 'tsa',
  ca = 'ca',
): Promise<Uint8Array> {
  await writeFile(pki.file('ts-data.bin'), data);
  return timestampReply(pki, ['-data', pki.file('ts-data.bin')], tsa, ca);
}

/** The PKI's TSA as a `TimestampAuthority`: tokens over SHA-256 imprints, made by `openssl ts -reply`. */
export function opensslTimestampAuthority(pki: OpensslPki, tsa = 'tsa', ca = 'ca') {
  return {
    timestamp: (imprintSha256: Uint8Array) =>
      timestampReply(pki, ['-digest', Buffer.from(imprintSha256).toString('hex')], tsa, ca),
  };
}

async function timestampReply(
  pki: OpensslPki,
  query: string[],
  tsa: string,
  ca: string,
): Promise<Uint8Array> {
  // A fresh serial per token (hex, an even number of digits, as `openssl ts` reads it).
  const serial = Date.now().toString(16);
  await writeFile(pki.file('tsaserial'), `${serial.length % 2 ? `0${serial}` : serial}\n`);
  await writeFile(
    pki.file('tsa.cnf'),
    [
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `serial = ${pki.file('tsaserial')}`,
      'crypto_device = builtin',
      'signer_digest = sha256',
      'default_policy = 1.2.3.4.1',
      'digests = sha256, sha384, sha512',
      'accuracy = secs:1',
      'tsa_name = yes',
      'ess_cert_id_alg = sha256',
      `certs = ${pki.file(`${ca}.pem`)}`,
      '',
    ].join('\n'),
  );
  await pki.openssl('ts', '-query', ...query, '-sha256', '-cert', '-no_nonce', '-out', pki.file('ts.tsq'));
  await pki.openssl(
    'ts',
    '-reply',
    '-config',
    pki.file('tsa.cnf'),
    '-queryfile',
    pki.file('ts.tsq'),
    '-inkey',
    pki.file(`${tsa}.key`),
    '-signer',
    pki.file(`${tsa}.pem`),
    '-token_out',
    '-out',
    pki.file('ts.token'),
  );
  return new Uint8Array(await readFile(pki.file('ts.token')));
}

export interface IndexEntry {
  serialHex: string;
  subject: string;
  /** Absent: valid; present: revoked at this time. */
  revokedAt?: Date;
}

/** OpenSSL's CA database line format: status, expiry, revocation time, serial, file, subject. */
export async function writeIndex(pki: OpensslPki, entries: IndexEntry[]): Promise<void> {
  const time = (date: Date) => `${date.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
  const expiry = time(new Date(Date.now() + 365 * 24 * 3600 * 1000));
  const lines = entries.map((e) =>
    [
      e.revokedAt ? 'R' : 'V',
      expiry,
      e.revokedAt ? time(e.revokedAt) : '',
      e.serialHex.toUpperCase(),
      'unknown',
      e.subject,
    ].join('\t'),
  );
  await writeFile(pki.file('index.txt'), `${lines.join('\n')}\n`);
  await writeFile(pki.file('index.txt.attr'), 'unique_subject = no\n');
}

/** `openssl ocsp -index`: the DER OCSPResponse about `cert` issued by `issuer`, signed by `responder`. */
export async function opensslOcspResponse(
  pki: OpensslPki,
  options: { cert: string; issuer: string; responder: string },
): Promise<Uint8Array> {
  const { cert, issuer, responder } = options;
  await pki.openssl(
    'ocsp',
    '-issuer',
    pki.file(`${issuer}.pem`),
    '-cert',
    pki.file(`${cert}.pem`),
    '-no_nonce',
    '-reqout',
    pki.file('ocsp.req'),
  );
  await pki.openssl(
    'ocsp',
    '-index',
    pki.file('index.txt'),
    '-rsigner',
    pki.file(`${responder}.pem`),
    '-rkey',
    pki.file(`${responder}.key`),
    '-CA',
    pki.file(`${issuer}.pem`),
    '-reqin',
    pki.file('ocsp.req'),
    '-respout',
    pki.file('ocsp.resp'),
    '-ndays',
    '1',
  );
  return new Uint8Array(await readFile(pki.file('ocsp.resp')));
}

/** `openssl ca -gencrl` from the index, signed by `issuer`: DER CRL. */
export async function opensslCrl(pki: OpensslPki, issuer: string): Promise<Uint8Array> {
  await writeFile(pki.file('crlnumber'), '01\n');
  await writeFile(
    pki.file('ca.cnf'),
    [
      '[ ca ]',
      'default_ca = d',
      '[ d ]',
      `database = ${pki.file('index.txt')}`,
      `crlnumber = ${pki.file('crlnumber')}`,
      'default_md = sha256',
      'default_crl_days = 7',
      '',
    ].join('\n'),
  );
  await pki.openssl(
    'ca',
    '-config',
    pki.file('ca.cnf'),
    '-gencrl',
    '-keyfile',
    pki.file(`${issuer}.key`),
    '-cert',
    pki.file(`${issuer}.pem`),
    '-out',
    pki.file('crl.pem'),
  );
  await pki.openssl('crl', '-in', pki.file('crl.pem'), '-outform', 'DER', '-out', pki.file('crl.der'));
  return new Uint8Array(await readFile(pki.file('crl.der')));
}

/** The serial number of a PEM certificate file, uppercase hex. */
export async function serialOf(pki: OpensslPki, name: string): Promise<string> {
  const out = await pki.openssl('x509', '-in', pki.file(`${name}.pem`), '-noout', '-serial');
  return out.trim().replace(/^serial=/, '');
}
