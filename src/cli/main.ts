import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.ts';
import { DataDirectoryBusyError } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { commands } from './commands.ts';

const USAGE = `Usage: signet <command> [options]

Commands:
  serve                                   run the platform (what \`npm start\` does)
  migrate                                 apply database migrations and exit
  create-org --name N --admin-email E     create an organisation; prints {"organizationId", "apiKey"}
  create-api-key --org ID [--name N] [--scopes a,b]
                                          create an API key; prints {"id", "apiKey", "scopes"}
  revoke-api-key --org ID --key KEY_ID    revoke an API key
  list-api-keys --org ID                  list an organisation's API keys (never the secrets)
  outbox --org ID [--limit N]             list an organisation's mails in the local outbox, newest first
  audit-verify [ENVELOPE_ID]              check audit hash chains (all envelopes when no id)
  seals [--all]                           list envelopes whose seal is pending, running or failed
  ca-root                                 print the root certificate (PEM) relying parties should trust
  revoke-certificate SERIAL [--reason R]  revoke a certificate Signet's CA issued (R: keyCompromise,
                                          superseded, cessationOfOperation, … default unspecified)
  hsm-keys                                list the labels of the private keys on the PKCS#11 token
  verify FILE [--trust root.pem ...] [--json] [--live]
                                          check a signed PDF's signatures; exit 0 only when valid

Configuration comes from environment variables (and ./.env): see README.md.`;

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`signet: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: command.options,
    allowPositionals: true,
    strict: true,
  });
  return command.run(loadConfig(), values as Record<string, string | boolean | undefined>, positionals);
}

try {
  process.loadEnvFile?.('.env');
} catch {
  // No .env file: configuration comes from the environment alone.
}

try {
  const code = await run(process.argv.slice(2));
  if (code !== 0 || process.argv[2] !== 'serve') process.exitCode = code;
} catch (error) {
  if (error instanceof ConfigError || error instanceof DataDirectoryBusyError) {
    process.stderr.write(`signet: ${error.message}\n`);
  } else if (error instanceof SignetError) {
    process.stderr.write(`signet: ${error.code}: ${error.detail}\n`);
  } else if (
    error instanceof TypeError &&
    'code' in error &&
    String(error.code).startsWith('ERR_PARSE_ARGS')
  ) {
    process.stderr.write(`signet: ${error.message}\n\n${USAGE}\n`);
  } else {
    process.stderr.write(`signet: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exitCode = 1;
}
