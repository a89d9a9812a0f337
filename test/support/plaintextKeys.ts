import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/*
 * Finds private keys left in plaintext under a directory, in the encodings OpenSSL and
 * node:crypto write them: PEM (PKCS#8, PKCS#1, SEC1) and the DER those PEMs wrap. An encrypted
 * PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`) or a sealed blob matches none of these.
 */

const PEM_HEADERS = ['-----BEGIN PRIVATE KEY-----', 'BEGIN RSA PRIVATE KEY', 'BEGIN EC PRIVATE KEY'];

/** DER openings, as hex: each is specific enough not to turn up by chance in other files. */
const DER_PREFIXES: { name: string; hex: string }[] = [
  // PKCS#8 PrivateKeyInfo (RFC 5208 §5): version 0, AlgorithmIdentifier rsaEncryption, OCTET STRING.
  { name: 'DER PKCS#8 RSA', hex: '020100300d06092a864886f70d0101010500' + '04' },
  // …with id-ecPublicKey and the P-256 curve.
  { name: 'DER PKCS#8 EC', hex: '020100301306072a8648ce3d020106082a8648ce3d030107' + '04' },
  // PKCS#1 RSAPrivateKey (RFC 8017 §A.1.2): SEQUENCE (long form), version 0, a long modulus.
  { name: 'DER PKCS#1 RSA', hex: '3082????0201000282' },
  // SEC1 ECPrivateKey (RFC 5915 §3) for P-256: version 1 and a 32-byte private key.
  { name: 'DER SEC1 EC', hex: '307702010104 20' },
];

export interface PlaintextKeyFinding {
  /** Path relative to the scanned directory. */
  file: string;
  /** Which encoding was found (never the key itself). */
  form: string;
}

/** Every file under `dir` (recursively) that holds a private key in plaintext. */
export async function findPlaintextPrivateKeys(dir: string): Promise<PlaintextKeyFinding[]> {
  const findings: PlaintextKeyFinding[] = [];
  for (const path of await filesUnder(dir)) {
    const bytes = await readFile(path);
    for (const form of plaintextKeyForms(bytes)) findings.push({ file: relative(dir, path), form });
  }
  return findings;
}

/** The plaintext key encodings found in `bytes`. */
export function plaintextKeyForms(bytes: Buffer): string[] {
  const forms = PEM_HEADERS.filter((header) => bytes.includes(header));
  for (const { name, hex } of DER_PREFIXES) {
    if (containsPattern(bytes, hex.replaceAll(' ', ''))) forms.push(name);
  }
  return forms;
}

export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** `hex` with `??` standing for any byte. */
function containsPattern(bytes: Buffer, hex: string): boolean {
  const pattern = hex.match(/.{2}/g)?.map((pair) => (pair === '??' ? undefined : Number.parseInt(pair, 16)));
  if (!pattern) return false;
  // Search for the longest fixed run (`30 82` alone opens every certificate), then check the
  // whole pattern around each hit.
  let anchorStart = 0;
  let anchorEnd = 0;
  for (let start = 0; start < pattern.length; ) {
    let end = start;
    while (end < pattern.length && pattern[end] !== undefined) end += 1;
    if (end - start > anchorEnd - anchorStart) [anchorStart, anchorEnd] = [start, end];
    start = end + 1;
  }
  const anchor = Buffer.from(pattern.slice(anchorStart, anchorEnd) as number[]);
  for (let at = bytes.indexOf(anchor); at !== -1; at = bytes.indexOf(anchor, at + 1)) {
    const start = at - anchorStart;
    if (start < 0 || start + pattern.length > bytes.length) continue;
    if (pattern.every((byte, i) => byte === undefined || bytes[start + i] === byte)) return true;
  }
  return false;
}
