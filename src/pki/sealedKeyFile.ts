import { createPrivateKey, randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SealedSecrets } from '../blobs/sealedSecrets.ts';
import { SignetError } from '../errors.ts';

/*
 * A private key at rest when no PKCS#11 token holds it: its PKCS#8 PEM sealed under the master
 * key exactly as documents and small secrets are (blobs/envelopeEncryption.ts, through
 * blobs/sealedSecrets.ts: AES-256-GCM under a fresh data key, that key wrapped by the master
 * key; stored as base64), in `<dir>/<label>.key.sealed`, mode 0600. The file key store keeps
 * the CA, sealing, TSA and OCSP keys this way; the SAML service provider its key.
 *
 * Why this and not PKCS#8 EncryptedPrivateKeyInfo (PBES2): GCM authenticates, so a wrong master
 * key or an altered file is told apart with certainty rather than by a padding check; the
 * header names the master key, so "another master key" is a clear message and a later
 * master-key rotation walks one format for everything the master key protects; and a
 * password-based scheme would only add a KDF in front of a key that is already 32 random bytes.
 *
 * Versions before this one wrote `<label>.key.pem` in plaintext: sealPlaintextKeyFiles
 * encrypts them in place, so an upgrade needs no step from the operator.
 */

/** Labels become file names, so they are kept to a safe alphabet (no `/`, no `..`). */
export const KEY_LABEL_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const SEALED_KEY_SUFFIX = '.key.sealed';
const PLAINTEXT_KEY_SUFFIX = '.key.pem';
/** `<label>.key.pem.<pid>.<hex>.tmp`: how earlier versions named a key file being written. */
const PLAINTEXT_TEMPORARY_PATTERN = /\.key\.pem\.\d+\.[0-9a-f]+\.tmp$/;

export const sealedKeyFileName = (label: string) => `${label}${SEALED_KEY_SUFFIX}`;

export const labelTaken = (label: string) =>
  new SignetError('KEY_LABEL_TAKEN', `a key labelled "${label}" already exists`);

/** The PEM of key `label` in `dir`, or undefined when there is none. */
export async function readSealedKeyFile(
  dir: string,
  label: string,
  secrets: SealedSecrets,
): Promise<string | undefined> {
  const sealed = await readOptional(join(dir, sealedKeyFileName(label)));
  return sealed === undefined ? undefined : openSealedPrivateKeyPem(secrets, sealed, label);
}

/** Whether `dir` holds a key file under `label` (without decrypting it). */
export async function hasSealedKeyFile(dir: string, label: string): Promise<boolean> {
  return (await readOptional(join(dir, sealedKeyFileName(label)))) !== undefined;
}

/**
 * Stores `pem` under `label` in `dir` (created 0700): KEY_LABEL_TAKEN when the label is, unless
 * asked to `replace` the key there.
 */
export async function writeSealedKeyFile(
  dir: string,
  label: string,
  pem: string,
  secrets: SealedSecrets,
  options: { replace?: boolean } = {},
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, sealedKeyFileName(label));
  const temporary = await writeTemporaryFile(path, `${secrets.seal(pem)}\n`);
  try {
    if (options.replace) await rename(temporary, path);
    else await linkNew(temporary, path, label);
  } finally {
    await unlinkIfPresent(temporary);
  }
}

/**
 * Encrypts each `<label>.key.pem` an earlier version left in `dir`: the encrypted file is
 * written (and flushed) first and the plaintext removed after, so a crash in between leaves the
 * key usable — the next run finds both, checks they hold the same key, and removes the
 * plaintext. Two processes upgrading at once meet at the `link` and both end the same way.
 */
export async function sealPlaintextKeyFiles(dir: string, secrets: SealedSecrets): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    // An interrupted write of an earlier version: the key either made it under its name or was
    // never stored, so the temporary copy serves nothing and holds a key in plaintext.
    if (PLAINTEXT_TEMPORARY_PATTERN.test(name)) await unlinkIfPresent(join(dir, name));
  }
  for (const name of names) {
    if (!name.endsWith(PLAINTEXT_KEY_SUFFIX)) continue;
    const label = name.slice(0, -PLAINTEXT_KEY_SUFFIX.length);
    if (!KEY_LABEL_PATTERN.test(label)) continue; // not a file Signet wrote
    await sealPlaintextKeyFile(dir, label, secrets);
  }
}

async function sealPlaintextKeyFile(dir: string, label: string, secrets: SealedSecrets): Promise<void> {
  const plaintextPath = join(dir, `${label}${PLAINTEXT_KEY_SUFFIX}`);
  const pem = await readOptional(plaintextPath);
  if (pem === undefined) return; // another process finished this one
  try {
    await writeSealedKeyFile(dir, label, pem, secrets);
  } catch (error) {
    if (!(error instanceof SignetError && error.code === 'KEY_LABEL_TAKEN')) throw error;
    await assertSameKey(dir, label, pem, secrets);
  }
  await syncDirectory(dir);
  await unlinkIfPresent(plaintextPath);
}

/** The plaintext is removed only when the encrypted file beside it holds the same key. */
async function assertSameKey(dir: string, label: string, pem: string, secrets: SealedSecrets): Promise<void> {
  const held = await readSealedKeyFile(dir, label, secrets);
  if (held !== undefined && sameKey(held, pem)) return;
  throw new SignetError(
    'KEY_UPGRADE_CONFLICT',
    `both ${label}${PLAINTEXT_KEY_SUFFIX} (plaintext, from an earlier version) and ${sealedKeyFileName(label)} exist in ${dir} and hold different keys; keep the one your certificates name and remove the other`,
  );
}

function sameKey(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return createPrivateKey(a).equals(createPrivateKey(b));
  } catch {
    return false;
  }
}

/**
 * The PEM inside a sealed key file; a wrong master key or an altered file is a
 * KEY_DECRYPTION_FAILED naming `label`.
 */
function openSealedPrivateKeyPem(secrets: SealedSecrets, sealed: string, label: string): string {
  try {
    return secrets.open(sealed.trim());
  } catch (error) {
    // The cause is never passed on: it says nothing more, and nothing of the key may reach a log.
    const why =
      error instanceof SignetError && error.code === 'BLOB_KEY_UNKNOWN'
        ? 'it was encrypted under a different master key (MASTER_KEY, or DATA_DIR/master.key in development)'
        : 'the file is damaged or was altered (it failed its authentication check)';
    throw new SignetError('KEY_DECRYPTION_FAILED', `the key "${label}" could not be decrypted: ${why}`);
  }
}

/**
 * Written and flushed under a temporary name, so a crash never leaves a truncated key file
 * under its own.
 */
async function writeTemporaryFile(path: string, content: string): Promise<string> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlinkIfPresent(temporary);
    throw error;
  }
  await handle.close();
  return temporary;
}

/** `link` fails on an existing target where `rename` would replace it: a label taken meanwhile is refused. */
async function linkNew(temporary: string, path: string, label: string): Promise<void> {
  try {
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw labelTaken(label);
    // Filesystems without hard links: fall back to rename (the caller's existence check stands).
    await rename(temporary, path);
  }
}

/**
 * Makes a new directory entry durable, so the plaintext is never removed before its encrypted
 * copy is on disk.
 */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** The file's text, or undefined when there is no such file. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
