import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

/*
 * Independent PDF and CMS validators (poppler's pdfsig, qpdf, OpenSSL) driven from tests.
 * They are the peers a user's PDF reader stands in for: if they disagree with us, we are wrong.
 */

/** The Debian package that provides each tool, for the skip message. */
const PACKAGE_OF: Record<string, string> = {
  pdfsig: 'poppler-utils',
  pdftotext: 'poppler-utils',
  qpdf: 'qpdf',
  mutool: 'mupdf-tools',
  certutil: 'libnss3-tools',
  openssl: 'openssl',
  soffice: 'libreoffice-writer-nogui',
  chromium: 'chromium',
};

export function hasTool(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The command that installs the missing tools, e.g. `apt-get install -y poppler-utils qpdf`. */
export function installCommandFor(tools: string[]): string {
  const packages = [...new Set(tools.map((tool) => PACKAGE_OF[tool] ?? tool))];
  return `apt-get install -y ${packages.join(' ')}`;
}

/**
 * Marks the test skipped, with the install command as the reason, when a tool is missing, and
 * returns false; the test must then return. A missing peer is reported, never passed silently.
 */
export function requireTools(t: TestContext, tools: string[]): boolean {
  const missing = tools.filter((tool) => !hasTool(tool));
  if (missing.length === 0) return true;
  t.skip(installCommandFor(missing));
  return false;
}

export interface ToolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function runTool(command: string, args: string[]): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error); // could not start the tool at all
        return;
      }
      resolve({ exitCode: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

export interface NssTrustStore {
  dir: string;
  cleanup(): Promise<void>;
}

/** A fresh NSS database trusting `rootPem` as a CA for every purpose ("CT,C,C"). */
export async function makeNssTrustStore(rootPem: string): Promise<NssTrustStore> {
  const dir = await mkdtemp(join(tmpdir(), 'signet-nss-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const rootFile = join(dir, 'root.pem');
    await writeFile(rootFile, rootPem);
    await mustSucceed('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
    await mustSucceed('certutil', [
      '-A',
      '-d',
      `sql:${dir}`,
      '-n',
      'signet-test-root',
      '-t',
      'CT,C,C',
      '-i',
      rootFile,
    ]);
    return { dir, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

export interface PdfsigSignature {
  signatureValid: boolean;
  certificateTrusted: boolean;
  totalDocumentSigned: boolean;
  subFilter?: string;
  /** pdfsig's text for this signature, for assertion messages. */
  raw: string;
}

/**
 * Runs pdfsig and parses its report per signature (it exits 0 whatever it finds).
 *
 * Without `-no-ocsp`, deliberately: poppler 22.12 reads NSS's thread-local error code after
 * CERT_PKIXVerifyCert instead of its return value, and with OCSP disabled a stale code makes
 * every chain come out as "Unknown issue with Certificate or corrupted data." Leaving OCSP on
 * sends nothing over the network for our test certificates, which carry no AIA/OCSP URL.
 */
export async function runPdfsig(file: string, nssDir: string): Promise<PdfsigSignature[]> {
  const result = await runTool('pdfsig', ['-nssdir', `sql:${nssDir}`, file]);
  if (/does not contain any signatures/.test(result.stdout)) return [];
  if (!result.stdout.includes('Signature #')) {
    throw new Error(`pdfsig could not read ${file}: ${result.stdout}${result.stderr}`);
  }
  return result.stdout
    .split(/^Signature #\d+:$/m)
    .slice(1)
    .map(parsePdfsigBlock);
}

function parsePdfsigBlock(raw: string): PdfsigSignature {
  const subFilter = /Signature Type: (.+)$/m.exec(raw)?.[1]?.trim();
  return {
    signatureValid: /Signature Validation: Signature is Valid\./.test(raw),
    certificateTrusted: /Certificate Validation: Certificate is Trusted\./.test(raw),
    totalDocumentSigned: /^\s*- Total document signed$/m.test(raw),
    ...(subFilter ? { subFilter } : {}),
    raw,
  };
}

export interface MutoolSignature {
  /** "The document is unchanged since signing." — false for later edits and for digest errors. */
  unchangedSinceSigning: boolean;
  raw: string;
}

/** `mutool sign -v` (exits 0 whatever it finds; it has no trust store, so only integrity counts). */
export async function runMutoolVerify(file: string): Promise<MutoolSignature[]> {
  const result = await runTool('mutool', ['sign', '-v', file]);
  return result.stdout
    .split(/^Verifying signature \d+:$/m)
    .slice(1)
    .map((raw) => ({ unchangedSinceSigning: /The document is unchanged since signing\./.test(raw), raw }));
}

/** `qpdf --check`: 0 clean, 2 errors, 3 warnings. */
export async function runQpdfCheck(file: string): Promise<number> {
  return (await runTool('qpdf', ['--check', file])).exitCode;
}

/** `openssl cms -verify` of a detached CMS over `contentFile`, trusting `caFile` (any purpose). */
export async function runOpensslCmsVerify(
  cmsFile: string,
  contentFile: string,
  caFile: string,
): Promise<ToolResult> {
  return runTool('openssl', [
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    cmsFile,
    '-content',
    contentFile,
    '-CAfile',
    caFile,
    '-purpose',
    'any',
    '-out',
    '/dev/null',
  ]);
}

export interface EmbeddedSignature {
  byteRange: [number, number, number, number];
  /** The bytes the signature covers: both ranges, concatenated. */
  signedContent: Uint8Array;
  /** The DER CMS from /Contents, without the zero padding. */
  cms: Uint8Array;
}

/**
 * Finds each /ByteRange and its /Contents by reading the file bytes directly — deliberately
 * not with the code under test — so tests can hand the pieces to OpenSSL.
 */
export function extractSignatures(pdf: Uint8Array): EmbeddedSignature[] {
  const text = Buffer.from(pdf).toString('latin1');
  return [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].map((match) => {
    const byteRange = match.slice(1, 5).map(Number) as [number, number, number, number];
    const [start1, length1, start2, length2] = byteRange;
    const signedContent = Buffer.concat([
      pdf.subarray(start1, start1 + length1),
      pdf.subarray(start2, start2 + length2),
    ]);
    // Between the two ranges lies `<hex>`; the CMS is the DER prefix, the rest zero padding.
    const hex = text.slice(start1 + length1 + 1, start2 - 1);
    const padded = Buffer.from(hex, 'hex');
    return { byteRange, signedContent, cms: padded.subarray(0, derLength(padded)) };
  });
}

/** Total length of the DER element at the start of `bytes` (definite-length form). */
function derLength(bytes: Uint8Array): number {
  const first = bytes[1] ?? 0;
  if ((first & 0x80) === 0) return 2 + first;
  const lengthBytes = first & 0x7f;
  let length = 0;
  for (let i = 0; i < lengthBytes; i++) length = length * 256 + (bytes[2 + i] ?? 0);
  return 2 + lengthBytes + length;
}

async function mustSucceed(command: string, args: string[]): Promise<void> {
  const result = await runTool(command, args);
  if (result.exitCode !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.exitCode}): ${result.stderr}`);
  }
}
