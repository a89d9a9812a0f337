import { createHash, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import type { Config } from '../config/config.ts';
import { SignetError } from '../errors.ts';
import { describeCertificate } from '../pki/certificateChain.ts';
import { isRevocationReason, REVOCATION_REASONS } from '../pki/certificateRegistry.ts';
import { openConfiguredKeyStore } from '../pki/configuredKeyStore.ts';
import { readCertificationRequest } from '../pki/csr.ts';
import { CA_LAYOUT, DEV_PKI_KEY_LABELS, pkiUrlsFor } from '../pki/devCa.ts';
import { type EncodedName, parseDistinguishedName } from '../pki/distinguishedName.ts';
import { importCertificateChain, requestKeyCertificate } from '../pki/importedChain.ts';
import { importIssuingCa, importRootCrl, requestIssuingCa } from '../pki/installedCa.ts';
import { KEY_TYPES, type KeyStore, type KeyType, parseKeyType } from '../pki/keyStore.ts';
import {
  assertOutsideDataDir,
  initOfflineRoot,
  issueRootCrl,
  MIN_PASSPHRASE_LENGTH,
  OFFLINE_CA_FILES,
  openOfflineRoot,
  signIssuingCa,
} from '../pki/offlineCa.ts';
import { pemBlocks, singleDerOrPem, toPem } from '../pki/pem.ts';
import { type Command, optional, print, required, type Values } from './command.ts';

/*
 * `signet ca …` and `signet keys …`: a production PKI (README, "Production PKI"). The offline
 * root's commands (`ca init --offline`, `ca sign-csr`, `ca crl`) run on the offline machine and
 * touch nothing of an installation; `ca csr`, `ca import`, `keys csr` and `keys import-cert`
 * run where Signet does, against its key store (the PKCS#11 token, or DATA_DIR/keys).
 */

const DEFAULT_KEY_TYPE: KeyType = 'rsa-3072';
const KEY_TYPE_HELP = `${Object.keys(KEY_TYPES).join(', ')} (default ${DEFAULT_KEY_TYPE})`;
const PASSPHRASE_HELP = `a file holding the root key's passphrase (one line; at least ${MIN_PASSPHRASE_LENGTH} characters);
default: the OFFLINE_CA_PASSPHRASE variable`;
const SUBJECT_HELP =
  'the distinguished name, RFC 4514: "CN=…,O=…,C=…" (also OU, L, ST, serialNumber, organizationIdentifier)';

const pkiDirOf = (config: Config) => join(config.dataDir, 'pki');

const sha256Of = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

function subjectOption(values: Values): EncodedName | undefined {
  const subject = optional(values, 'subject');
  return subject === undefined ? undefined : parseDistinguishedName(subject);
}

function keyTypeOption(values: Values): KeyType {
  const keyType = optional(values, 'key-type');
  return keyType === undefined ? DEFAULT_KEY_TYPE : parseKeyType(keyType);
}

/** A whole number between `min` and `max`, or `fallback` when the option is absent. */
function countOption(
  values: Values,
  name: string,
  range: { min: number; max: number; fallback: number },
): number {
  const text = optional(values, name);
  if (text === undefined) return range.fallback;
  const count = Number(text);
  if (!Number.isInteger(count) || count < range.min || count > range.max) {
    throw new SignetError(
      'CLI_OPTION_REQUIRED',
      `--${name} is a whole number from ${range.min} to ${range.max}`,
    );
  }
  return count;
}

/** From --passphrase-file (without its final line break), else OFFLINE_CA_PASSPHRASE: never from a prompt, never echoed. */
async function passphraseOf(values: Values, config: Config): Promise<string> {
  const file = optional(values, 'passphrase-file');
  if (file !== undefined) return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  if (config.offlineCaPassphrase !== undefined) return config.offlineCaPassphrase;
  throw new SignetError(
    'OFFLINE_CA_PASSPHRASE_INVALID',
    'give the root key passphrase with --passphrase-file FILE or the OFFLINE_CA_PASSPHRASE variable',
  );
}

async function withKeyStore<T>(config: Config, work: (keyStore: KeyStore) => Promise<T>): Promise<T> {
  const keyStore = await openConfiguredKeyStore(config);
  try {
    return await work(keyStore);
  } finally {
    await keyStore.close();
  }
}

async function readCertificates(path: string): Promise<Uint8Array[]> {
  const bytes = new Uint8Array(await readFile(path));
  const text = Buffer.from(bytes).toString('latin1');
  const certificates = text.includes('-----BEGIN ') ? pemBlocks(text, 'CERTIFICATE') : [bytes];
  try {
    for (const der of certificates) new X509Certificate(der);
  } catch {
    throw new SignetError('PEM_INVALID', `${path} holds something that is not an X.509 certificate`);
  }
  if (certificates.length === 0) throw new SignetError('PEM_INVALID', `${path} holds no certificate`);
  return certificates;
}

function certificateSummary(der: Uint8Array) {
  const view = new X509Certificate(der);
  return {
    subject: describeCertificate(view),
    serial: view.serialNumber.toLowerCase(),
    notAfter: new Date(view.validTo).toISOString(),
    sha256: sha256Of(der),
  };
}

export const caCommands: Record<string, Command> = {
  'ca init': {
    synopsis:
      'ca init --offline --out DIR --subject DN [--key-type T] [--validity-years N] [--passphrase-file F]',
    summary:
      'Create an offline root CA in DIR, away from any installation: its key encrypted under a passphrase.',
    details: `Run it on the machine that keeps the root (offline), never where Signet runs: DIR may not be
inside DATA_DIR. Writes DIR/${OFFLINE_CA_FILES.key} (PKCS#8, PBES2 with AES-256 and 600 000
PBKDF2 iterations, mode 0600) and DIR/${OFFLINE_CA_FILES.certificate}, and refuses a DIR that already
holds a root. Prints {"certificate", "key", "subject", "notAfter", "sha256"}: give relying parties
the certificate and its SHA-256 fingerprint. Without --offline nothing is made: the development CA,
whose root key is online, is made by the first start.`,
    optionHelp: {
      '--offline': 'required: the root is made outside the installation',
      '--out DIR': 'the directory to keep the root in (created if missing)',
      '--subject DN': `${SUBJECT_HELP} (required)`,
      '--key-type T': KEY_TYPE_HELP,
      '--validity-years N': 'how long the root is valid, 1-40 (default 20)',
      '--passphrase-file F': PASSPHRASE_HELP,
    },
    options: {
      offline: { type: 'boolean' },
      out: { type: 'string' },
      subject: { type: 'string' },
      'key-type': { type: 'string' },
      'validity-years': { type: 'string' },
      'passphrase-file': { type: 'string' },
    },
    async run(config, values) {
      if (values.offline !== true) {
        throw new SignetError(
          'CLI_OPTION_REQUIRED',
          '--offline is required: the development CA (its root online) is made by the first start; `ca init --offline` makes a root kept elsewhere',
        );
      }
      const dir = required(values, 'out');
      const subject = parseDistinguishedName(required(values, 'subject'));
      await assertOutsideDataDir(dir, config.dataDir);
      const root = await initOfflineRoot(dir, {
        subject,
        passphrase: await passphraseOf(values, config),
        keyType: keyTypeOption(values),
        validityYears: countOption(values, 'validity-years', { min: 1, max: 40, fallback: 20 }),
      });
      const summary = certificateSummary(root.certificate);
      print({
        certificate: join(dir, OFFLINE_CA_FILES.certificate),
        key: join(dir, OFFLINE_CA_FILES.key),
        subject: summary.subject,
        notAfter: summary.notAfter,
        sha256: summary.sha256,
      });
      return 0;
    },
  },

  'ca sign-csr': {
    synopsis:
      'ca sign-csr --ca DIR --csr FILE --out FILE --public-url URL [--validity-years N] [--passphrase-file F]',
    summary: "Sign an installation's issuing CA certificate from its CSR with the offline root in DIR.",
    details: `Run on the offline machine with the CSR that \`signet ca csr\` wrote. Checks the CSR's signature,
certifies its key as an issuing CA (pathLenConstraint 0, keyCertSign and cRLSign, the subject as
requested), records the certificate in DIR/${OFFLINE_CA_FILES.issued}/ and writes it to --out (PEM).
Prints {"subject", "serial", "notAfter", "sha256", "publicKeySha256"}: compare publicKeySha256
with what \`signet ca csr\` printed.`,
    optionHelp: {
      '--ca DIR': 'the offline root, as `ca init --offline` made it (required)',
      '--csr FILE': 'the issuing CA request, PEM or DER (required)',
      '--out FILE': 'where to write the issuing CA certificate, PEM (required)',
      '--public-url URL': `the installation's PUBLIC_URL (required): the certificate names the root's
certificate and CRL there (/pki/root-ca.crt, /pki/crl/root.crl)`,
      '--validity-years N': 'how long the issuing CA is valid, 1-30, never past the root (default 10)',
      '--passphrase-file F': PASSPHRASE_HELP,
    },
    options: {
      ca: { type: 'string' },
      csr: { type: 'string' },
      out: { type: 'string' },
      'public-url': { type: 'string' },
      'validity-years': { type: 'string' },
      'passphrase-file': { type: 'string' },
    },
    async run(config, values) {
      const dir = required(values, 'ca');
      const csrPath = required(values, 'csr');
      const out = required(values, 'out');
      const urls = pkiUrlsFor(publicUrlOption(values));
      const request = readCertificationRequest(new Uint8Array(await readFile(csrPath)), csrPath);
      const root = await openOfflineRoot(dir, await passphraseOf(values, config));
      const certificate = await signIssuingCa(root, request, {
        validityYears: countOption(values, 'validity-years', { min: 1, max: 30, fallback: 10 }),
        pointers: { caIssuersUrl: urls.rootCertificate, crlUrl: urls.rootCrl },
      });
      await writeFile(out, toPem('CERTIFICATE', certificate), { flag: 'wx' });
      print({ ...certificateSummary(certificate), publicKeySha256: sha256Of(request.publicKey) });
      return 0;
    },
  },

  'ca crl': {
    synopsis: 'ca crl --ca DIR --out FILE [--revoke SERIAL [--reason R]] [--days N] [--passphrase-file F]',
    summary:
      "Sign the offline root's CRL (optionally revoking an issuing CA first), for `ca import --root-crl`.",
    details: `The installation serves the root's CRL at /pki/crl/root.crl, and B-LT/B-LTA seals embed it: sign a
new one and import it before the last one's nextUpdate. Writes the CRL (DER) to FILE; prints
{"crl", "nextUpdate", "revoked": [serials]}.`,
    optionHelp: {
      '--ca DIR': 'the offline root (required)',
      '--out FILE': 'where to write the CRL, DER (required)',
      '--revoke SERIAL': 'first revoke this certificate the root issued (serial in hex)',
      '--reason R': `with --revoke: ${Object.keys(REVOCATION_REASONS).join(', ')} (default unspecified)`,
      '--days N': 'how long the CRL may be relied on, 1-400 (default 180)',
      '--passphrase-file F': PASSPHRASE_HELP,
    },
    options: {
      ca: { type: 'string' },
      out: { type: 'string' },
      revoke: { type: 'string' },
      reason: { type: 'string' },
      days: { type: 'string' },
      'passphrase-file': { type: 'string' },
    },
    async run(config, values) {
      const dir = required(values, 'ca');
      const out = required(values, 'out');
      const serial = optional(values, 'revoke');
      const reason = optional(values, 'reason') ?? 'unspecified';
      if (!isRevocationReason(reason)) {
        throw new SignetError(
          'REVOCATION_REASON_UNKNOWN',
          `Unknown reason ${reason}; known: ${Object.keys(REVOCATION_REASONS).join(', ')}`,
        );
      }
      const root = await openOfflineRoot(dir, await passphraseOf(values, config));
      const crl = await issueRootCrl(root, {
        ...(serial === undefined ? {} : { revoke: { serial, reason } }),
        validityDays: countOption(values, 'days', { min: 1, max: 400, fallback: 180 }),
      });
      await writeFile(out, crl);
      const parsed = pkijs.CertificateRevocationList.fromBER(crl);
      print({
        crl: out,
        nextUpdate: parsed.nextUpdate?.value.toISOString(),
        revoked: (parsed.revokedCertificates ?? []).map((entry) =>
          entry.userCertificate.toBigInt().toString(16),
        ),
      });
      return 0;
    },
  },

  'ca csr': {
    synopsis: 'ca csr --out FILE --subject DN [--key-type T]',
    summary:
      "Make this installation's issuing CA key (in the token or key store) and a CSR for the offline root.",
    details: `The first step of an offline root on this installation, before its first start: the key
"${DEV_PKI_KEY_LABELS.issuing}" is made in the PKCS#11 token (PKCS11_*) or DATA_DIR/keys — or taken,
when it exists, to renew its certificate — and the CSR is written to FILE and DATA_DIR/pki.
Refused while the key store holds a development root key ("${DEV_PKI_KEY_LABELS.root}"). Until
\`signet ca import\` installs the answer, the server refuses to start. Prints {"csr", "key",
"generated", "keyStore", "publicKeySha256"}.`,
    optionHelp: {
      '--out FILE': 'where to write the CSR, PEM (required)',
      '--subject DN': `${SUBJECT_HELP} (required)`,
      '--key-type T': `for a new key: ${KEY_TYPE_HELP}`,
    },
    options: { out: { type: 'string' }, subject: { type: 'string' }, 'key-type': { type: 'string' } },
    async run(config, values) {
      const out = required(values, 'out');
      const subject = parseDistinguishedName(required(values, 'subject'));
      const keyType = keyTypeOption(values);
      const result = await withKeyStore(config, async (keyStore) => ({
        kind: keyStore.kind,
        ...(await requestIssuingCa(pkiDirOf(config), keyStore, CA_LAYOUT, { subject, keyType })),
      }));
      await writeFile(out, toPem('CERTIFICATE REQUEST', result.csr));
      print({
        csr: out,
        key: DEV_PKI_KEY_LABELS.issuing,
        generated: result.generated,
        keyStore: result.kind,
        publicKeySha256: sha256Of(readCertificationRequest(result.csr, out).publicKey),
      });
      return 0;
    },
  },

  'ca import': {
    synopsis: 'ca import [--chain FILE --root FILE] [--root-crl FILE]',
    summary:
      'Install the issuing CA certificate the offline root signed, with the root, and/or the root’s CRL.',
    details: `Checks that the root is a self-signed CA that signed the issuing CA, that the issuing CA
certifies the key in this installation's key store, and that both are valid now; then writes them to
DATA_DIR/pki. From the next start Signet issues its sealing, TSA, OCSP and per-signer certificates
with this issuing CA, and /pki/root.pem is the offline root. --root-crl installs a CRL the root
signed (\`signet ca crl\`), served at /pki/crl/root.crl: B-LT and B-LTA seals need it. Restart a
running server to take either up.`,
    optionHelp: {
      '--chain FILE': 'the issuing CA certificate (PEM or DER; the root may be in it too)',
      '--root FILE': 'the offline root certificate (with --chain)',
      '--root-crl FILE': "the root's CRL (DER or PEM)",
    },
    options: { chain: { type: 'string' }, root: { type: 'string' }, 'root-crl': { type: 'string' } },
    async run(config, values) {
      const chainPath = optional(values, 'chain');
      const rootPath = optional(values, 'root');
      const crlPath = optional(values, 'root-crl');
      if ((chainPath === undefined) !== (rootPath === undefined) || (!chainPath && !crlPath)) {
        throw new SignetError(
          'CLI_OPTION_REQUIRED',
          'give --chain and --root together (the issuing CA and its root), and/or --root-crl',
        );
      }
      const result: Record<string, unknown> = {};
      if (chainPath && rootPath) {
        const issuing = await readCertificates(chainPath);
        const [root, ...more] = await readCertificates(rootPath);
        if (!root || more.length > 0) {
          throw new SignetError('PEM_INVALID', `${rootPath} must hold exactly one certificate, the root`);
        }
        const installed = await withKeyStore(config, (keyStore) =>
          importIssuingCa(pkiDirOf(config), keyStore, CA_LAYOUT, { issuing, root }),
        );
        result.root = certificateSummary(installed.root);
        result.issuing = certificateSummary(installed.issuing);
      }
      if (crlPath) {
        const crl = singleDerOrPem(new Uint8Array(await readFile(crlPath)), 'X509 CRL', crlPath);
        const { nextUpdate } = await importRootCrl(pkiDirOf(config), CA_LAYOUT, crl);
        result.rootCrl = { nextUpdate: nextUpdate?.toISOString() };
      }
      print(result);
      return 0;
    },
  },
};

export const keyCommands: Record<string, Command> = {
  'keys csr': {
    synopsis: 'keys csr --key LABEL --out FILE [--subject DN] [--key-type T]',
    summary:
      'Write a PKCS#10 CSR signed by a key in the PKCS#11 token (or key store), to get it certified by a CA.',
    details: `The key never leaves the token: the CSR is signed inside it. When the store has no key
LABEL, one is made (--key-type). Without --subject the CSR names the subject of the certificate
imported for the key before (a renewal). Send FILE to the CA (for a publicly trusted seal: an AATL
member, or a qualified trust service provider), then install its answer with \`signet keys
import-cert\`. Prints {"csr", "key", "generated", "keyStore", "publicKeySha256"}.`,
    optionHelp: {
      '--key LABEL': `the key's label, e.g. ${DEV_PKI_KEY_LABELS.sealing} (required)`,
      '--out FILE': 'where to write the CSR, PEM (required)',
      '--subject DN': SUBJECT_HELP,
      '--key-type T': `for a new key: ${KEY_TYPE_HELP}`,
    },
    options: {
      key: { type: 'string' },
      out: { type: 'string' },
      subject: { type: 'string' },
      'key-type': { type: 'string' },
    },
    async run(config, values) {
      const label = required(values, 'key');
      const out = required(values, 'out');
      const subject = subjectOption(values);
      const keyType = keyTypeOption(values);
      const result = await withKeyStore(config, async (keyStore) => ({
        kind: keyStore.kind,
        ...(await requestKeyCertificate(pkiDirOf(config), keyStore, label, { subject, keyType })),
      }));
      await writeFile(out, toPem('CERTIFICATE REQUEST', result.csr));
      print({
        csr: out,
        key: label,
        generated: result.generated,
        keyStore: result.kind,
        publicKeySha256: sha256Of(readCertificationRequest(result.csr, out).publicKey),
      });
      return 0;
    },
  },

  'keys import-cert': {
    synopsis: 'keys import-cert --key LABEL --chain FILE',
    summary:
      'Install the certificate chain a CA issued for a key in the token; a sealing key then seals with it.',
    details: `FILE holds the certificate and its CA certificates up to and including the root, PEM, in any
order. Refused unless one certificate certifies exactly the key LABEL, may sign documents, and
chains through valid CA certificates to a self-signed root, with nothing else in the file. Replaces
an earlier import (a renewal). The key "${DEV_PKI_KEY_LABELS.sealing}" (or SEAL_KEY_LABEL's) then
seals with this chain from the next start, unless SEAL_PKCS12_PATH is set; relying parties trust
its root. Prints {"key", "certificate", "chain", "seals"}.`,
    optionHelp: {
      '--key LABEL': "the key's label (required)",
      '--chain FILE': 'the certificate chain, PEM (required)',
    },
    options: { key: { type: 'string' }, chain: { type: 'string' } },
    async run(config, values) {
      const label = required(values, 'key');
      const chainPath = required(values, 'chain');
      const certificates = await readCertificates(chainPath);
      const imported = await withKeyStore(config, (keyStore) =>
        importCertificateChain(pkiDirOf(config), keyStore, label, certificates),
      );
      const sealingLabel = config.sealKeyLabel ?? DEV_PKI_KEY_LABELS.sealing;
      print({
        key: label,
        certificate: certificateSummary(imported.certificate),
        chain: imported.chain.map((der) => describeCertificate(new X509Certificate(der))),
        seals: label === sealingLabel && !config.sealPkcs12,
      });
      return 0;
    },
  },
};

function publicUrlOption(values: Values): string {
  const url = required(values, 'public-url');
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return url;
  } catch {
    // reported below
  }
  throw new SignetError('URL_INVALID', `--public-url must be an http(s) URL, not "${url}"`);
}
