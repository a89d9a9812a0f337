import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makePdf } from '../support/pdfFixtures.ts';
import { createTestOrganization, startTestSignet, type TestSignet } from '../support/signetHarness.ts';

/*
 * The README's "The same with the SDK" is sdk/examples/walkthrough.ts word for word (typechecked
 * by `npm run typecheck`), and that script works against a live server, as a reader would run it.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = join(ROOT, 'sdk', 'examples', 'walkthrough.ts');

function readmeSdkBlock(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### The same with the SDK'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'the README has a TypeScript block under "The same with the SDK"');
  return block;
}

describe('the README walkthrough with the SDK', () => {
  let signet: TestSignet;
  let scratch: string;

  before(async () => {
    signet = await startTestSignet('pglite');
    scratch = mkdtempSync(join(tmpdir(), 'signet-sdk-example-'));
  });
  after(async () => {
    await signet?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('shows sdk/examples/walkthrough.ts as it is', () => {
    assert.equal(readmeSdkBlock(), readFileSync(EXAMPLE, 'utf8'));
  });

  it('creates, signs, seals and downloads an envelope when run', async () => {
    const { apiKey } = await createTestOrganization(signet);
    const pdf = join(scratch, 'contract.pdf');
    writeFileSync(pdf, await makePdf({ text: 'Consulting agreement' }));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', EXAMPLE, pdf], {
      cwd: ROOT,
      env: { ...process.env, SIGNET_URL: signet.url, SIGNET_API_KEY: apiKey },
      timeout: 120_000,
    });
    const [sealed, ...rest] = stdout.trim().split('\n');
    assert.match(sealed ?? '', /^[0-9a-f-]{36}: sealed, \d+ bytes$/);
    const id = sealed?.split(':')[0];
    assert.deepEqual(rest, [`${id} Consulting agreement`, '409 ENVELOPE_NOT_VOIDABLE']);
  });
});
