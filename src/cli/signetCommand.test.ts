import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import { commands } from './commands.ts';
import { runSignetCommand } from './signetCommand.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'signet.mjs');

/** Runs the dispatcher in this process, as bin/signet.mjs does, and keeps what it says. */
async function signetInProcess(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runSignetCommand(argv, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

/** The real `signet` process, with a configuration that no command could start with. */
function signetProcess(cwd: string, env: Record<string, string>, ...argv: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, ...argv],
      { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env }, encoding: 'utf8', timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('signet COMMAND --help', () => {
  const names = Object.keys(commands);

  it('is answered by every registered command, with -h too, on stdout and with exit status 0', async () => {
    assert.ok(names.length >= 14, `only ${names.length} commands registered`);
    for (const name of names) {
      for (const flag of ['--help', '-h']) {
        const result = await signetInProcess(...name.split(' '), flag);
        assert.equal(result.code, 0, `signet ${name} ${flag}: ${result.err}`);
        assert.equal(result.err, '', `signet ${name} ${flag} wrote to stderr`);
        assert.ok(
          result.out.startsWith(`usage: signet ${name}`),
          `signet ${name} ${flag} starts with its usage line:\n${result.out}`,
        );
        assert.match(result.out, /\n {2}-h, --help +show this help and exit\n/);
      }
    }
  });

  it("describes exactly the options each command accepts, and only what a command's help says", async () => {
    for (const name of names) {
      const command = commands[name]!;
      const accepted = Object.keys(command.options)
        .map((option) => `--${option}`)
        .sort();
      const described = Object.keys(command.optionHelp ?? {})
        .map((flag) => flag.split(' ')[0]!)
        .sort();
      assert.deepEqual(described, accepted, `signet ${name}: options described vs accepted`);
      const { out } = await signetInProcess(...name.split(' '), '--help');
      for (const flag of Object.keys(command.optionHelp ?? {})) {
        assert.ok(out.includes(`  ${flag} `), `signet ${name} --help shows ${flag}`);
      }
    }
  });

  it('answers before anything else is checked: arguments, required options, configuration', async () => {
    // Without --help each of these fails: a missing FILE, a missing --org, an unknown reason.
    for (const argv of [
      ['verify', '--json', '--help'],
      ['outbox', '-h'],
      ['revoke-certificate', '--reason', 'nonsense', '--help'],
    ]) {
      const result = await signetInProcess(...argv);
      assert.equal(result.code, 0, `signet ${argv.join(' ')}: ${result.err}`);
    }
  });

  it('lists every command with its summary in `signet --help`, and `signet help COMMAND` is its help', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const result = await signetInProcess(...argv);
      assert.equal(result.code, 0);
      for (const name of names) {
        assert.ok(result.out.includes(`  signet ${commands[name]!.synopsis}\n`), `${name} listed`);
        assert.ok(result.out.includes(commands[name]!.summary), `${name}'s summary listed`);
      }
    }
    assert.deepEqual(await signetInProcess('help', 'verify'), await signetInProcess('verify', '--help'));
    const unknown = await signetInProcess('help', 'frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command "frobnicate"/);
  });

  it('finds two-word commands (`signet ca init`), lists a group with `signet ca`, and refuses an unknown one in it', async () => {
    const group = await signetInProcess('ca', '--help');
    assert.equal(group.code, 0);
    assert.match(group.out, /^usage: signet ca COMMAND \[options\]/);
    for (const name of ['ca init', 'ca sign-csr', 'ca crl', 'ca csr', 'ca import']) {
      assert.ok(group.out.includes(`  signet ${commands[name]!.synopsis}\n`), `${name} listed`);
    }
    assert.ok(!group.out.includes('signet keys csr'), 'only the group is listed');
    assert.deepEqual(await signetInProcess('help', 'ca'), group);
    assert.deepEqual(
      await signetInProcess('help', 'keys', 'csr'),
      await signetInProcess('keys', 'csr', '-h'),
    );

    const bare = await signetInProcess('keys');
    assert.equal(bare.code, 2);
    assert.match(bare.err, /^usage: signet keys COMMAND/);
    const unknown = await signetInProcess('ca', 'destroy');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /^signet: unknown command "ca destroy"\n\nusage: signet ca COMMAND/);
    const badOption = await signetInProcess('ca', 'init', '--force');
    assert.equal(badOption.code, 2);
    assert.match(badOption.err, /^signet ca init: Unknown option '--force'/);
    // `ca-root`, a one-word command, is still itself.
    assert.match((await signetInProcess('ca-root', '--help')).out, /^usage: signet ca-root\n/);
  });

  it('still refuses unknown options with exit status 2, naming the option and showing the usage', async () => {
    const result = await signetInProcess('verify', 'signed.pdf', '--trusted', 'root.pem');
    assert.equal(result.code, 2);
    assert.match(result.err, /signet verify: Unknown option '--trusted'/);
    assert.match(result.err, /usage: signet verify FILE/);
  });
});

describe('the signet process', () => {
  const work = mkdtempSync(join(tmpdir(), 'signet-help-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  // A configuration no command could start with, and a data directory that must not appear.
  const dataDir = join(work, 'data');
  const env = { DATA_DIR: dataDir, PORT: 'eighty', LOG_LEVEL: 'silent' };

  it('answers `signet verify --help` and `signet serve -h` with exit status 0, reading no configuration and starting nothing', async () => {
    const [verify, serve] = await Promise.all([
      signetProcess(work, env, 'verify', '--help'),
      signetProcess(work, env, 'serve', '-h'),
    ]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /^usage: signet verify FILE \[--trust root\.pem \.\.\.\]/);
    assert.equal(serve.code, 0, serve.stderr);
    assert.match(serve.stdout, /^usage: signet serve\n/);
    assert.equal(existsSync(dataDir), false, 'no data directory was created');
  });

  it('writes a sample PDF with `signet sample-pdf`, replacing the file when run again', async () => {
    const file = join(work, 'contract.pdf');
    for (const title of ['Consulting agreement', 'Second run']) {
      const result = await signetProcess(work, {}, 'sample-pdf', 'contract.pdf', '--title', title);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'contract.pdf: a one-page sample PDF\n');
      const document = await PDFDocument.load(readFileSync(file));
      assert.equal(document.getTitle(), title);
      assert.equal(document.getPageCount(), 1);
    }
    const withoutFile = await signetProcess(work, {}, 'sample-pdf');
    assert.equal(withoutFile.code, 1);
    assert.match(withoutFile.stderr, /give exactly one file/);
  });
});
