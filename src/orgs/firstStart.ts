import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  openSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { resolve } from 'node:path';
import type { Database } from '../db/database.ts';
import { createOrganization, hasAnyOrganization } from './organizations.ts';

/**
 * The first start's default organisation. Its admin password and first API key go to a file
 * only its owner may read, never to the console: process managers and container platforms keep
 * stdout in their logs, and a secret must not reach log storage (SPEC §L).
 */
export const FIRST_START_CREDENTIALS_FILE = 'first-start-credentials.txt';

/**
 * What the first start's organisation is called until someone names it (ORGANIZATION_NAME, or
 * PATCH /api/v1/organization: the web app asks while `nameConfirmed` is false). Signers see the
 * organisation's name as the brand, so it is never the platform's or "Default organisation".
 */
export const PLACEHOLDER_ORGANIZATION_NAME = 'My organisation';

/** On a database with no organisation: creates the default one and writes its credentials once. */
export async function bootstrapFirstOrganization(
  db: Database,
  dataDir: string,
  out: { write(text: string): unknown },
  name?: string,
): Promise<void> {
  if (await hasAnyOrganization(db)) return;
  const file = resolve(dataDir, FIRST_START_CREDENTIALS_FILE);
  if (existsSync(file)) {
    // Never overwritten: it may hold the only copy of an earlier installation's secrets, and an
    // organisation whose secrets had nowhere to go would be of no use to anyone.
    out.write(
      [
        '',
        `  Signet: no default organisation was created, because ${file} already exists.`,
        '  Read it and delete it, then start again (or create one with `signet create-org`).',
        '',
        '',
      ].join('\n'),
    );
    return;
  }
  // Made (empty, 0600) before the organisation, so a file that cannot be written stops the start
  // before any secret exists; it becomes the credentials file only once complete.
  const draft = `${file}.${process.pid}.tmp`;
  const fd = openSync(draft, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600); // whatever the umask
    const created = await createOrganization(db, {
      name: name ?? PLACEHOLDER_ORGANIZATION_NAME,
      adminEmail: 'admin@signet.localhost',
      // No name rather than a made-up one: mail then names the organisation, not "Administrator".
      adminName: '',
      isDefault: true,
    });
    if (!name) {
      await db.query('update organizations set name_confirmed = false where id = $1', [
        created.organizationId,
      ]);
    }
    writeSync(
      fd,
      [
        "Signet first start: the default organisation's admin login and first API key.",
        'Read this once, keep the secrets somewhere safe (a password manager), then delete this file.',
        '',
        `organization id : ${created.organizationId}`,
        `organization    : ${name ?? `${PLACEHOLDER_ORGANIZATION_NAME} (signers see this name: give the real one in the web app's settings)`}`,
        `admin login     : ${created.adminEmail}`,
        `admin password  : ${created.adminPassword}`,
        `API key         : ${created.apiKey}`,
        '',
      ].join('\n'),
    );
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(draft);
    throw error;
  }
  closeSync(fd);
  // A hard link appears whole and fails rather than replace a file that appeared meanwhile.
  linkSync(draft, file);
  unlinkSync(draft);
  out.write(
    [
      '',
      '  Signet first start: a default organisation was created.',
      `  Its admin login and an API key are in ${file}`,
      '  (readable by this user only). Read it once, keep them somewhere safe, then delete the file.',
      '',
      '',
    ].join('\n'),
  );
}
