import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pgliteTemplate } from '../../test/support/signetHarness.ts';
import { openDatabase } from '../db/database.ts';
import { bootstrapFirstOrganization, FIRST_START_CREDENTIALS_FILE } from './firstStart.ts';

/*
 * Signers see the organisation's name as its brand, so the first start never calls it "Default
 * organisation", nor its owner "Administrator": it takes ORGANIZATION_NAME, or a placeholder the
 * web app asks to replace (nameConfirmed false).
 */
async function firstStart(name?: string) {
  const db = await openDatabase({ kind: 'pglite', template: await pgliteTemplate() });
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-first-start-name-'));
  try {
    await bootstrapFirstOrganization(db, dataDir, { write: () => undefined }, name);
    const [organization] = await db.query<{ name: string; name_confirmed: boolean }>(
      'select name, name_confirmed from organizations',
    );
    const [owner] = await db.query<{ name: string }>(`select name from users where role = 'owner'`);
    return { organization, owner, file: readFileSync(join(dataDir, FIRST_START_CREDENTIALS_FILE), 'utf8') };
  } finally {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe("the first start's organisation", () => {
  it('takes the name ORGANIZATION_NAME gives', async () => {
    const { organization, owner, file } = await firstStart('Acme Ltd');
    assert.deepEqual(organization, { name: 'Acme Ltd', name_confirmed: true });
    assert.equal(owner?.name, '', 'no made-up name for the owner');
    assert.match(file, /^organization {4}: Acme Ltd$/m);
  });

  it('else has a placeholder name that asks to be replaced', async () => {
    const { organization, file } = await firstStart();
    assert.deepEqual(organization, { name: 'My organisation', name_confirmed: false });
    assert.match(file, /^organization {4}: My organisation \(signers see this name/m);
    assert.match(file, /^organization id : [0-9a-f-]{36}$/m, 'the id line stays machine-readable');
  });
});
