import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.ts';
import { DataDirectoryBusyError } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import type { Command } from './command.ts';
import { commands } from './commands.ts';

/*
 * `signet COMMAND [options]`: finds the command, answers --help (-h) from the command's own
 * description without reading the configuration or touching any data, parses the options
 * strictly, and turns what a command throws into a message and an exit status. A command's
 * name may be two words (`signet ca init`): the first is then a group, and `signet ca` alone
 * lists the group's commands.
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

/** The command the first words of `argv` name (a two-word name before a one-word one), and what follows. */
function commandAt(argv: string[]): { name: string; command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    if (argv.length < words) continue;
    const name = argv.slice(0, words).join(' ');
    const command = lookUp(name);
    if (command) return { name, command, rest: argv.slice(words) };
  }
  return undefined;
}

/** The commands of a group (`ca` for `ca init`, `ca import`, …); empty when `group` is none. */
function groupCommands(group: string): Command[] {
  return Object.entries(commands)
    .filter(([name]) => name.startsWith(`${group} `))
    .map(([, command]) => command);
}

/** `signet GROUP` and `signet GROUP --help`: the group's commands with their summaries. */
function groupUsage(group: string): string {
  const lines = groupCommands(group).map((c) => `  signet ${c.synopsis}\n      ${c.summary}`);
  return [
    `usage: signet ${group} COMMAND [options]`,
    '',
    'Commands:',
    ...lines,
    '',
    `\`signet ${group} COMMAND --help\` describes a command and its options.`,
  ].join('\n');
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
  const [name, ...afterName] = argv;
  if (!name) {
    output.err(`${signetUsage()}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h') {
    output.out(`${signetUsage()}\n`);
    return 0;
  }
  if (name === 'help') return help(afterName, output);
  const found = commandAt(argv);
  if (!found) return unknownCommand(argv, output);
  const { command, rest } = found;
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
    output.err(`signet ${found.name}: ${error.message}\n\n${commandHelp(command)}\n`);
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

/** `signet help`, `signet help COMMAND` and `signet help GROUP`. */
function help(words: string[], output: CommandOutput): number {
  if (words.length === 0) {
    output.out(`${signetUsage()}\n`);
    return 0;
  }
  const command = lookUp(words.join(' '));
  if (command) {
    output.out(`${commandHelp(command)}\n`);
    return 0;
  }
  const [group, ...extra] = words;
  if (group !== undefined && extra.length === 0 && groupCommands(group).length > 0) {
    output.out(`${groupUsage(group)}\n`);
    return 0;
  }
  output.err(`signet help: unknown command "${words.join(' ')}"\n\n${signetUsage()}\n`);
  return 2;
}

/** A group without a command (`signet ca`, `signet ca --help`), or a name nothing answers to. */
function unknownCommand([first = '', second]: string[], output: CommandOutput): number {
  if (groupCommands(first).length > 0) {
    if (second === '--help' || second === '-h') {
      output.out(`${groupUsage(first)}\n`);
      return 0;
    }
    const problem = second === undefined ? '' : `signet: unknown command "${first} ${second}"\n\n`;
    output.err(`${problem}${groupUsage(first)}\n`);
    return 2;
  }
  output.err(`signet: unknown command "${first}"\n\n${signetUsage()}\n`);
  return 2;
}

function isParseArgsError(error: unknown): error is TypeError {
  return error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
}

function describeFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof DataDirectoryBusyError) return error.message;
  if (error instanceof SignetError) return `${error.code}: ${error.detail}`;
  return (error as Error).stack ?? String(error);
}
