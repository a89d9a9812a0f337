import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config/config.ts';
import { SignetError } from '../errors.ts';

/** What a `signet` command is: its help, its options, and what it does. */
export interface Command {
  /** What follows `signet` in the usage line: the command's name, arguments and options. */
  synopsis: string;
  /** One sentence: what the command does (`signet --help` lists these). */
  summary: string;
  /** More about it for `signet COMMAND --help`: what it prints, what it needs. */
  details?: string;
  /** Each option as it is written (`--org ID`) and what it does; one entry per option. */
  optionHelp?: Record<string, string>;
  /** What the exit status means, when it means more than success or failure. */
  exitStatus?: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(config: Config, values: Values, positionals: string[]): Promise<number>;
}

export type Values = Record<string, string | boolean | undefined>;

export const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new SignetError('CLI_OPTION_REQUIRED', `--${name} is required`);
  }
  return value;
}

/** An optional string option, undefined when absent or blank. */
export function optional(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
