import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.ts';
import { DataDirectoryBusyError } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { type Command, commands } from './commands.ts';

/*
 * `signet COMMAND [options]`: finds the command, answers --help (-h) from the command's own
 * description without reading the configuration or touching any data, parses the options
 * strictly, and turns what a command throws into a message and an exit status.
 */

/** Where the command's own words go: its help and its errors (a command's output is its own). */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** `signet --help`: every command with its one-line summary. */
export function signetUsage(): string {
  const lines = Object.values(commands).map((c) => `  signet ${c.synopsis}\n      ${c.summary}`);
  return [
    'usage: signet COMMAND [options]',
    '',
    'Commands:',
    ...lines,
    '',
    '`signet COMMAND --help` (or -h) describes a command and its options. Configuration comes from',
    'environment variables (and ./.env): see the Configuration table in README.md.',
  ].join('\n');
}

const OPTION_COLUMN = 21;

/** `signet COMMAND --help`: usage, summary, details, every option, the exit status. */
export function commandHelp(command: Command): string {
  const options = { ...command.optionHelp, '-h, --help': 'show this help and exit' };
  const optionLines = Object.entries(options).map(([flag, text]) => {
    const [first, ...more] = text.split('\n');
    const continued = more.map((line) => `\n${' '.repeat(OPTION_COLUMN)}${line}`).join('');
    return `  ${flag.padEnd(OPTION_COLUMN - 3)} ${first}${continued}`;
  });
  return [
    `usage: signet ${command.synopsis}`,
    '',
    command.summary,
    ...(command.details ? ['', command.details] : []),
    '',
    'Options:',
    ...optionLines,
    ...(command.exitStatus ? ['', `Exit status: ${command.exitStatus}`] : []),
  ].join('\n');
}

function lookUp(name: string): Command | undefined {
  return Object.hasOwn(commands, name) ? commands[name] : undefined;
}

/** Runs `signet` with `argv` (what follows the command's name) and returns its exit status. */
export async function runSignetCommand(argv: string[], output: CommandOutput): Promise<number> {
  try {
    return await dispatch(argv, output);
  } catch (error) {
    output.err(`signet: ${describeFailure(error)}\n`);
    return 1;
  }
}

async function dispatch(argv: string[], output: CommandOutput): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    output.err(`${signetUsage()}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h') {
    output.out(`${signetUsage()}\n`);
    return 0;
  }
  if (name === 'help') return help(rest, output);
  const command = lookUp(name);
  if (!command) {
    output.err(`signet: unknown command "${name}"\n\n${signetUsage()}\n`);
    return 2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, ...HELP_OPTION },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    if (!isParseArgsError(error)) throw error;
    output.err(`signet ${name}: ${error.message}\n\n${commandHelp(command)}\n`);
    return 2;
  }
  const { help: wantsHelp, ...values } = parsed.values;
  if (wantsHelp === true) {
    output.out(`${commandHelp(command)}\n`);
    return 0;
  }
  return command.run(
    loadConfig(),
    values as Record<string, string | boolean | undefined>,
    parsed.positionals,
  );
}

/** `signet help` and `signet help COMMAND`. */
function help([name, ...extra]: string[], output: CommandOutput): number {
  if (!name) {
    output.out(`${signetUsage()}\n`);
    return 0;
  }
  const command = lookUp(name);
  if (!command || extra.length > 0) {
    output.err(`signet help: unknown command "${[name, ...extra].join(' ')}"\n\n${signetUsage()}\n`);
    return 2;
  }
  output.out(`${commandHelp(command)}\n`);
  return 0;
}

function isParseArgsError(error: unknown): error is TypeError {
  return error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
}

function describeFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof DataDirectoryBusyError) return error.message;
  if (error instanceof SignetError) return `${error.code}: ${error.detail}`;
  return (error as Error).stack ?? String(error);
}
