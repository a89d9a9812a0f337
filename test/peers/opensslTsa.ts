import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * OpenSSL's own RFC 3161 time-stamp authority (`openssl ts -reply`), as an independent peer:
 * a root CA and a TSA certificate made by OpenSSL, tokens made by OpenSSL. Signet's code only
 * sends it imprints and embeds what comes back.
 */

export interface OpensslTsa {
  /** DER TimeStampToken over a SHA-256 imprint, made by `openssl ts -reply -token_out`. */
  timestamp(imprintSha256: Uint8Array): Promise<Uint8Array>;
  rootPemPath: string;
  tsaPemPath: string;
  rootDer: Uint8Array;
  tsaDer: Uint8Array;
  dir: string;
  close(): void;
}

const TSA_CONFIG = `
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = .
serial = DIR/serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1.1
other_policies = 1.3.6.1.4.1.99999.1.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;

export function startOpensslTsa(): OpensslTsa {
  const dir = mkdtempSync(join(tmpdir(), 'signet-openssl-tsa-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  writeFileSync(join(dir, 'tsa.cnf'), TSA_CONFIG.replace('DIR', dir));
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(
    join(dir, 'ext.cnf'),
    [
      '[ root ]',
      'basicConstraints = critical, CA:true',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[ tsa ]',
      'basicConstraints = critical, CA:false',
      'keyUsage = critical, digitalSignature, nonRepudiation',
      'extendedKeyUsage = critical, timeStamping',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
    '-days',
    '3650',
    '-subj',
    '/O=OpenSSL Peer/CN=OpenSSL Peer Root',
    '-addext',
    'basicConstraints=critical,CA:true',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'tsa.key',
    '-out',
    'tsa.csr',
    '-subj',
    '/O=OpenSSL Peer/CN=OpenSSL Peer TSA',
  );
  run(
    'x509',
    '-req',
    '-in',
    'tsa.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-CAcreateserial',
    '-out',
    'tsa.pem',
    '-days',
    '3650',
    '-extfile',
    'ext.cnf',
    '-extensions',
    'tsa',
  );
  const der = (name: string) =>
    new Uint8Array(execFileSync('openssl', ['x509', '-in', name, '-outform', 'DER'], { cwd: dir }));
  return {
    dir,
    rootPemPath: join(dir, 'root.pem'),
    tsaPemPath: join(dir, 'tsa.pem'),
    rootDer: der('root.pem'),
    tsaDer: der('tsa.pem'),
    async timestamp(imprint) {
      const hex = Buffer.from(imprint).toString('hex');
      const id = Math.random().toString(36).slice(2);
      run('ts', '-query', '-digest', hex, '-sha256', '-cert', '-out', `${id}.tsq`);
      run(
        'ts',
        '-reply',
        '-config',
        'tsa.cnf',
        '-queryfile',
        `${id}.tsq`,
        '-inkey',
        'tsa.key',
        '-signer',
        'tsa.pem',
        '-chain',
        'root.pem',
        '-token_out',
        '-out',
        `${id}.tst`,
      );
      return new Uint8Array(readFileSync(join(dir, `${id}.tst`)));
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
