import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config/config.ts';
import { SignetError } from '../errors.ts';
import { createOutboundClient } from '../outbound/outboundHttp.ts';
import { formatReport } from './humanReport.ts';
import { certificatesFromFile } from './trustAnchors.ts';
import { parseValidationTime } from './validationTime.ts';
import { verifyPdf } from './verifyPdf.ts';

/*
 * `signet verify FILE [--trust root.pem ...] [--json] [--live] [--at TIME]`: no server, no
 * database (a running server holds PGlite's lock), so the sealed-document lookup is left to
 * the API.
 * Trusts this installation's root (DATA_DIR/pki/root-ca.crt.pem) when it exists, plus --trust.
 * Exit status: 0 only when the verdict is valid, 1 otherwise, 2 for usage and input errors.
 */

export const verifyOptions: NonNullable<ParseArgsConfig['options']> = {
  trust: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  live: { type: 'boolean' },
  at: { type: 'string' },
};

/** `signet verify --help`; the usage line is also the answer to a call without FILE. */
export const verifyHelp = {
  synopsis: 'verify FILE [--trust root.pem ...] [--json] [--live] [--at TIME]',
  summary: "Check a PDF's signatures and time-stamps and what each later revision changed.",
  details: `Needs no running server and no database. Trusts this installation's root
(DATA_DIR/pki/root-ca.crt.pem) when it exists, and every certificate given with --trust: to
verify away from the server's DATA_DIR, fetch its root first (GET /pki/root.pem).`,
  optionHelp: {
    '--trust FILE': 'also trust the certificate(s) in FILE (PEM or DER) as roots; repeatable',
    '--json': 'print the whole report as JSON instead of text',
    '--live': `ask the OCSP responder or CRL server a certificate names when the PDF holds
no revocation data for it, and always for time-stamping authorities
(revoked since sealing?); public addresses only, unless OUTBOUND_* allow more`,
    '--at TIME': `validate as of TIME instead of now: an ISO 8601 instant with Z or an
offset, e.g. 2031-06-01T00:00:00Z; the newest time-stamp's chain
must still hold then, or the file is INDETERMINATE`,
  },
  exitStatus: '0 only when the file is valid, 1 when it is not, 2 for unreadable input or usage.',
};

const USAGE = `usage: signet ${verifyHelp.synopsis}`;

export async function runVerify(
  config: Config,
  values: Record<string, string | boolean | string[] | undefined>,
  positionals: string[],
): Promise<number> {
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const at = typeof values.at === 'string' ? parseValidationTime(values.at) : undefined;
    const trustAnchors = await trustAnchorsFor(config, values.trust);
    const pdf = await readInput(file);
    const live = values.live === true;
    // --live asks the URLs the PDF names, as a tenant's: where OUTBOUND_* allow, nowhere else.
    const outbound = live ? createOutboundClient(config.outbound) : undefined;
    const report = await verifyPdf(pdf, {
      trustAnchors,
      revocation: live ? 'embedded-then-live' : 'embedded-only',
      ...(outbound ? { outbound } : {}),
      ...(at ? { now: at } : {}),
    }).finally(() => outbound?.close());
    process.stdout.write(
      values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, basename(file)),
    );
    return report.verdict === 'valid' ? 0 : 1;
  } catch (error) {
    if (!(error instanceof SignetError)) throw error;
    process.stderr.write(`signet: ${error.code}: ${error.detail}\n`);
    return 2;
  }
}

async function trustAnchorsFor(config: Config, trust: unknown): Promise<Uint8Array[]> {
  const files = Array.isArray(trust) ? trust.map(String) : typeof trust === 'string' ? [trust] : [];
  const installationRoot = join(config.dataDir, 'pki', 'root-ca.crt.pem');
  const paths = existsSync(installationRoot) ? [installationRoot, ...files] : files;
  const anchors: Uint8Array[] = [];
  for (const path of paths) anchors.push(...certificatesFromFile(await readInput(path), path));
  return anchors;
}

/** A file's bytes, or FILE_UNREADABLE naming it (no such file, or not readable). */
export async function readInput(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read';
    throw new SignetError('FILE_UNREADABLE', `${path}: ${reason}`);
  }
}
