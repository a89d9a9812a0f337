import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { hasTool, requireTools } from '../peers/pdfValidators.ts';
import { type ApiClient, apiClient } from '../support/apiClient.ts';
import {
  createTestOrganization,
  databaseKinds,
  freePort,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/*
 * The README's walkthrough, run word for word as a stranger runs it (issue 15, item 8): the
 * blocks it marks `<!-- walkthrough -->`, in order, in one bash, from an empty directory outside
 * the checkout, with only the three variables the README tells a user to export. It must end
 * with a sealed PDF that pdfsig and `signet verify` call valid, run again in the same place,
 * stay within its time limits, say why when a seal fails, and leave the checkout untouched.
 */

const checkout = join(import.meta.dirname, '..', '..');
const MARKER = '<!-- walkthrough -->';
/** What the walkthrough calls besides `signet` (Debian: bash, coreutils, curl, jq, poppler-utils, libnss3-tools). */
const TOOLS = ['bash', 'base64', 'curl', 'jq', 'pdfsig', 'certutil'];
/** Well above the walkthrough's own limits (the seal wait gives up after about a minute). */
const RUN_LIMIT_MS = 240_000;

/** The README's walkthrough blocks: every ```sh fence right after a `<!-- walkthrough -->` line. */
function walkthroughBlocks(markdown: string): string[] {
  const lines = markdown.split('\n');
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== MARKER) continue;
    if (lines[i + 1] !== '```sh') {
      throw new Error(`README.md line ${i + 1}: ${MARKER} must be followed by a \`\`\`sh fence`);
    }
    const end = lines.indexOf('```', i + 2);
    if (end === -1) throw new Error(`README.md line ${i + 2}: the walkthrough block is not closed`);
    blocks.push(lines.slice(i + 2, end).join('\n'));
    i = end;
  }
  return blocks;
}

interface ShellRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  seconds: number;
  stdout: string;
  stderr: string;
}

/** Keeps the last `limit` characters: a runaway command (certutil's prompt loop) writes gigabytes. */
function tailBuffer(limit = 1 << 20) {
  let text = '';
  return {
    add(chunk: string) {
      text = (text + chunk).slice(-limit);
    },
    get text() {
      return text;
    },
  };
}

/** Runs `script` with bash, stdin closed, killing the whole process group past `limitMs`. */
function runBash(script: string, cwd: string, env: Record<string, string>, limitMs = RUN_LIMIT_MS) {
  return new Promise<ShellRun>((resolve, reject) => {
    const started = Date.now();
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout = tailBuffer();
    const stderr = tailBuffer();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.add(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.add(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, limitMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        timedOut,
        seconds: (Date.now() - started) / 1000,
        stdout: stdout.text,
        stderr: stderr.text,
      });
    });
  });
}

function describeRun(run: ShellRun): string {
  const ending = run.timedOut ? `killed after ${run.seconds} s` : `exit ${run.code ?? run.signal}`;
  return `${ending}\n--- stdout (tail) ---\n${run.stdout.slice(-6000)}\n--- stderr (tail) ---\n${run.stderr.slice(-4000)}`;
}

/** `git status` of the checkout, or undefined when it is not a git checkout (a tarball). */
function checkoutStatus(): string[] | undefined {
  if (!hasTool('git')) return undefined;
  try {
    return execFileSync('git', ['-C', checkout, 'status', '--porcelain', '--untracked-files=all'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter((line) => line !== '')
      .sort();
  } catch {
    return undefined;
  }
}

/** A scratch place with an empty directory to start from, its own TMPDIR and HOME. */
function scratch() {
  const root = mkdtempSync(join(tmpdir(), 'signet-readme-'));
  const place = { root, cwd: join(root, 'cwd'), tmp: join(root, 'tmp'), home: join(root, 'home') };
  for (const dir of [place.cwd, place.tmp, place.home]) mkdirSync(dir);
  return { ...place, workDir: join(place.tmp, 'signet-walkthrough') };
}

/** Only what the README tells a user to export, and what any shell has. */
function walkthroughEnv(signet: TestSignet, apiKey: string, place: ReturnType<typeof scratch>) {
  return {
    PATH: [dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(delimiter),
    HOME: place.home,
    TMPDIR: place.tmp,
    LANG: 'C.UTF-8',
    SIGNET_URL: signet.url,
    SIGNET_API_KEY: apiKey,
    SIGNET_HOME: checkout,
  };
}

interface EnvelopeView {
  id: string;
  status: string;
  seal: { state: string; lastError: string | null; sha256: string | null };
}

/** pdfsig's block for the platform seal in the walkthrough's output (step 6). */
function pdfsigSealBlock(stdout: string): string {
  const report = stdout.slice(stdout.indexOf('Digital Signature Info of: signed.pdf'));
  const block = report.split(/^Signature #\d+:$/m).find((b) => /Signature Field Name: Signet seal$/m.test(b));
  assert.ok(block, `pdfsig reported no "Signet seal" signature:\n${stdout}`);
  return block;
}

const blocks = walkthroughBlocks(readFileSync(join(checkout, 'README.md'), 'utf8'));
const script = blocks.join('\n\n');

describe('the README walkthrough', () => {
  it('is marked in README.md: the steps with curl and the plain-JSON envelope', () => {
    assert.ok(blocks.length >= 2, `${blocks.length} blocks are marked <!-- walkthrough -->`);
    assert.match(blocks[0] ?? '', /^# 0\. /);
    assert.match(blocks[0] ?? '', /signet verify signed\.pdf --trust signet-root\.pem/);
    assert.ok(
      blocks.some((block) => /--data-binary @nda\.json/.test(block)),
      'the plain-JSON envelope is marked too',
    );
  });
});

for (const kind of databaseKinds()) {
  describe(`the README walkthrough, run word for word against Signet on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let apiKey: string;
    const place = scratch();
    const statusBefore = checkoutStatus();
    const runs: ShellRun[] = [];

    before(async () => {
      signet = await startTestSignet(kind);
      apiKey = (await createTestOrganization(signet)).apiKey;
      api = apiClient(signet.app, apiKey);
    });
    after(async () => {
      await signet?.stop();
      rmSync(place.root, { recursive: true, force: true });
    });

    /** One run, and what it produced: the envelope it made, as the API sees it now. */
    async function runOnce(t: TestContext) {
      const run = await runBash(script, place.cwd, walkthroughEnv(signet, apiKey, place));
      runs.push(run);
      t.diagnostic(`walkthrough run ${runs.length}: ${run.seconds.toFixed(1)} s`);
      assert.equal(run.timedOut, false, describeRun(run));
      assert.equal(run.code, 0, describeRun(run));
      const { id } = JSON.parse(readFileSync(join(place.workDir, 'envelope.json'), 'utf8')) as { id: string };
      const envelope = (await api.get<EnvelopeView>(`/api/v1/envelopes/${id}`)).body;
      return { run, envelope };
    }

    function assertSealedAndValid(run: ShellRun, envelope: EnvelopeView) {
      assert.equal(envelope.status, 'completed');
      assert.equal(envelope.seal.state, 'done');
      const signed = readFileSync(join(place.workDir, 'signed.pdf'));
      assert.equal(
        createHash('sha256').update(signed).digest('hex'),
        envelope.seal.sha256,
        "signed.pdf is this run's sealed envelope",
      );
      const seal = pdfsigSealBlock(run.stdout);
      assert.match(seal, /Signature Validation: Signature is Valid\./, seal);
      assert.match(seal, /Certificate Validation: Certificate is Trusted\./, seal);
      // `signet verify` exits 0 only for a valid file, and the script stops at any failure.
      assert.match(run.stdout, /^signed\.pdf: VALID$/m);
      assert.match(run.stdout, /^Signature #1 'Signet seal': VALID \(PAdES B-LTA\)$/m);
      assert.match(run.stdout, /"verdict": "valid"/);
      assert.match(run.stdout, /"status": "draft"/, 'the plain-JSON block made a draft');
    }

    it('ends with a sealed PDF that pdfsig and signet verify call valid, from an empty directory', async (t) => {
      if (!requireTools(t, TOOLS)) return;
      const { run, envelope } = await runOnce(t);
      assertSealedAndValid(run, envelope);
      assert.deepEqual(readdirSync(place.cwd), [], 'nothing was written where it was started');
      assert.deepEqual(
        readdirSync(place.workDir).sort(),
        [
          'certificate.pdf',
          'contract.pdf',
          'envelope.json',
          'nda.json',
          'nss',
          'signed.pdf',
          'signet-root.pem',
        ],
        'everything it wrote is in its scratch directory',
      );
    });

    it('runs a second time in the same directory, with a new envelope, neither hanging nor failing', async (t) => {
      if (!requireTools(t, TOOLS)) return;
      if (runs.length === 0) return t.skip('the first run did not happen');
      const firstId = (
        JSON.parse(readFileSync(join(place.workDir, 'envelope.json'), 'utf8')) as { id: string }
      ).id;
      const { run, envelope } = await runOnce(t);
      assert.notEqual(envelope.id, firstId);
      assertSealedAndValid(run, envelope);
    });

    it('leaves the checkout as it found it', (t) => {
      if (runs.length === 0) return t.skip('the walkthrough did not run');
      if (!statusBefore) return t.skip('not a git checkout, or git is missing (apt-get install -y git)');
      assert.deepEqual(checkoutStatus(), statusBefore, 'git status --porcelain before and after');
    });
  });
}

describe('the README walkthrough when the seal fails', () => {
  let signet: TestSignet;
  let api: ApiClient;
  let apiKey: string;
  const place = scratch();

  before(async () => {
    // A time-stamping authority nobody listens at: a B-LTA seal cannot be made, and never at a lower level.
    const port = await freePort();
    signet = await startTestSignet(databaseKinds()[0] ?? 'pglite', {
      TSA_URLS: `http://127.0.0.1:${port}/tsa`,
      TSA_TIMEOUT_MS: '2000',
    });
    apiKey = (await createTestOrganization(signet)).apiKey;
    api = apiClient(signet.app, apiKey);
  });
  after(async () => {
    await signet?.stop();
    rmSync(place.root, { recursive: true, force: true });
  });

  it('stops at step 5 within its time limit and prints the error the API reports', async (t) => {
    if (!requireTools(t, TOOLS)) return;
    const run = await runBash(script, place.cwd, walkthroughEnv(signet, apiKey, place));
    t.diagnostic(`walkthrough run with a failing seal: ${run.seconds.toFixed(1)} s`);
    assert.equal(run.timedOut, false, describeRun(run));
    assert.notEqual(run.code, 0, describeRun(run));
    const { id } = JSON.parse(readFileSync(join(place.workDir, 'envelope.json'), 'utf8')) as { id: string };
    const envelope = (await api.get<EnvelopeView>(`/api/v1/envelopes/${id}`)).body;
    assert.equal(envelope.status, 'completed');
    assert.ok(envelope.seal.lastError, JSON.stringify(envelope.seal));
    assert.ok(
      run.stdout.includes(`"seal":"failed","lastError":${JSON.stringify(envelope.seal.lastError)}`),
      describeRun(run),
    );
    assert.match(run.stderr, /The envelope is not sealed/);
    t.diagnostic(`step 5 said: ${run.stdout.split('\n').find((line) => line.includes('"seal":"failed"'))}`);
    assert.doesNotMatch(run.stdout, /Digital Signature Info/, 'it stopped before step 6');
  });
});
