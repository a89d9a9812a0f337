import { writeFile } from 'node:fs/promises';
import { loadOrCreateMasterKey } from '../blobs/blobStore.ts';
import { sealedSecrets } from '../blobs/sealedSecrets.ts';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { SignetError } from '../errors.ts';
import { verifyEnvelopeAudit } from '../evidence/auditLog.ts';
import { listOutbox } from '../notify/outbox.ts';
import { createUserWithPassword } from '../orgs/accounts.ts';
import {
  API_KEY_SCOPES,
  type ApiKeyScope,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from '../orgs/apiKeys.ts';
import { createOrganization, findOrganization, isUuid } from '../orgs/organizations.ts';
import { isRole, ROLES } from '../orgs/scopes.ts';
import { createOutboundClient } from '../outbound/outboundHttp.ts';
import { renewArchiveTimestamp } from '../pdf/archiveRenewal.ts';
import { makeSamplePdf } from '../pdf/samplePdf.ts';
import { isRevocationReason, REVOCATION_REASONS, revokeCertificate } from '../pki/certificateRegistry.ts';
import { openPkcs11KeyStore } from '../pki/pkcs11KeyStore.ts';
import { archiveHorizon } from '../verify/archiveHorizon.ts';
import { readInput, runVerify, verifyHelp, verifyOptions } from '../verify/cli.ts';
import { type Command, print, required } from './command.ts';
import { caCommands, keyCommands } from './pkiCommands.ts';

export type { Command } from './command.ts';

/**
 * The server's composition root, loaded only by the commands that need it: `verify`,
 * `sample-pdf` and every `--help` start about a second sooner without it.
 */
const platformEntry = () => import('../main.ts');

/** Opens the database (migrated) for one command and always closes it again. */
async function withDatabase<T>(config: Config, work: (db: Database) => Promise<T>): Promise<T> {
  const { openConfiguredDatabase } = await platformEntry();
  const db = await openConfiguredDatabase(config);
  try {
    await migrate(db);
    return await work(db);
  } finally {
    await db.close();
  }
}

async function requireOrganization(db: Database, id: string) {
  const organization = await findOrganization(db, id);
  if (!organization) throw new SignetError('ORG_NOT_FOUND', `No organisation with id ${id}`);
  return organization;
}

function parseScopes(value: string | boolean | undefined): ApiKeyScope[] | undefined {
  if (typeof value !== 'string') return undefined;
  const scopes = value.split(',').map((s) => s.trim());
  const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new SignetError(
      'SCOPE_UNKNOWN',
      `Unknown scope(s) ${unknown.join(', ')}; known: ${API_KEY_SCOPES.join(', ')}`,
    );
  }
  return scopes as ApiKeyScope[];
}

export const commands: Record<string, Command> = {
  serve: {
    synopsis: 'serve',
    summary:
      'Run the platform: the HTTP API, the signing pages and the background jobs (what `npm start` does).',
    details: `Listens on HOST:PORT (default 127.0.0.1:3000) until SIGINT or SIGTERM. Configuration comes
from the environment (and ./.env): see the Configuration table in README.md.`,
    options: {},
    async run(config) {
      const { startSignet } = await platformEntry();
      const signet = await startSignet(config);
      const stop = (signal: string) => {
        signet.platform.log.info({ signal }, 'shutting down');
        signet.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      return 0;
    },
  },

  migrate: {
    synopsis: 'migrate',
    summary: 'Apply the database migrations and exit (every start applies them too).',
    details: `Prints {"applied": [names]}. Uses DATABASE_URL, or the embedded database in DATA_DIR (which
a running server holds: stop it first).`,
    options: {},
    async run(config) {
      const { openConfiguredDatabase } = await platformEntry();
      const db = await openConfiguredDatabase(config);
      try {
        const applied = await migrate(db);
        print({ applied });
      } finally {
        await db.close();
      }
      return 0;
    },
  },

  'create-org': {
    synopsis: 'create-org --name N --admin-email E [--admin-name A]',
    summary: 'Create an organisation with its admin user and a first API key.',
    details: `Prints {"organizationId", "apiKey", "adminEmail", "adminPassword"}: keep the secrets, they
are not shown again.`,
    optionHelp: {
      '--name N': "the organisation's name (required)",
      '--admin-email E': "its admin's sign-in address (required)",
      '--admin-name A': "its admin's display name",
    },
    options: {
      name: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-name': { type: 'string' },
    },
    async run(config, values) {
      const name = required(values, 'name');
      const adminEmail = required(values, 'admin-email');
      const created = await withDatabase(config, (db) =>
        createOrganization(db, { name, adminEmail, adminName: values['admin-name'] as string | undefined }),
      );
      print({
        organizationId: created.organizationId,
        apiKey: created.apiKey,
        adminEmail: created.adminEmail,
        adminPassword: created.adminPassword,
      });
      return 0;
    },
  },

  'create-user': {
    synopsis: 'create-user --org ID --email E --role R [--name N]',
    summary: 'Add a user to an organisation with a one-time password, printed once.',
    details: `Prints {"userId", "email", "role", "password"}. Give the password to the person over a
channel you trust and have them change it at once (PUT /api/v1/auth/password, or the web app's
account page): Signet cannot yet force a change at first sign-in, so until then whoever saw
the password can sign in as them. An admin can instead invite people by mail from the web app
or POST /api/v1/users, so that no password ever passes through other hands.`,
    optionHelp: {
      '--org ID': 'the organisation (required)',
      '--email E': "the user's sign-in address (required)",
      '--role R': `${ROLES.join(', ')} (required)`,
      '--name N': "the user's display name",
    },
    options: {
      org: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
    },
    async run(config, values) {
      const organizationId = required(values, 'org');
      const email = required(values, 'email');
      const role = required(values, 'role');
      if (!isRole(role)) {
        throw new SignetError('ROLE_UNKNOWN', `Unknown role ${role}; known: ${ROLES.join(', ')}`);
      }
      if (!isUuid(organizationId))
        throw new SignetError('ORG_NOT_FOUND', `No organisation with id ${organizationId}`);
      const created = await withDatabase(config, (db) =>
        createUserWithPassword(db, { organizationId, email, role, name: values.name as string | undefined }),
      );
      print({
        userId: created.user.id,
        email: created.user.email,
        role: created.user.role,
        password: created.password,
      });
      process.stderr.write(
        'warning: this password is shown once and is not forced to change: have the user change it at first sign-in.\n',
      );
      return 0;
    },
  },

  'create-api-key': {
    synopsis: 'create-api-key --org ID [--name N] [--scopes a,b]',
    summary: 'Create an API key for an organisation.',
    details: 'Prints {"id", "apiKey", "scopes"}: the key is not shown again.',
    optionHelp: {
      '--org ID': 'the organisation (required)',
      '--name N': 'a name to recognise the key by',
      '--scopes a,b': `comma-separated scopes; without it the key may send and read envelopes only
(envelopes:read,envelopes:write): organization:admin must be asked for by name`,
    },
    options: { org: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'string' } },
    async run(config, values) {
      const organizationId = required(values, 'org');
      const scopes = parseScopes(values.scopes);
      const key = await withDatabase(config, async (db) => {
        await requireOrganization(db, organizationId);
        return createApiKey(db, { organizationId, name: (values.name as string | undefined) ?? '', scopes });
      });
      print({ id: key.id, apiKey: key.key, scopes: key.scopes });
      return 0;
    },
  },

  'revoke-api-key': {
    synopsis: 'revoke-api-key --org ID --key KEY_ID',
    summary: 'Revoke an API key; requests with it are refused at once.',
    optionHelp: {
      '--org ID': 'the organisation (required)',
      '--key KEY_ID': "the key's id, as list-api-keys shows it (required)",
    },
    options: { org: { type: 'string' }, key: { type: 'string' } },
    async run(config, values) {
      const organizationId = required(values, 'org');
      const keyId = required(values, 'key');
      if (!isUuid(keyId)) throw new SignetError('API_KEY_NOT_FOUND', 'No such active API key');
      const revoked = await withDatabase(config, (db) => revokeApiKey(db, organizationId, keyId));
      if (!revoked) throw new SignetError('API_KEY_NOT_FOUND', 'No such active API key');
      print({ revoked: keyId });
      return 0;
    },
  },

  'list-api-keys': {
    synopsis: 'list-api-keys --org ID',
    summary: "List an organisation's API keys: ids, names, scopes, dates (never the secrets).",
    optionHelp: {
      '--org ID': 'the organisation (required)',
    },
    options: { org: { type: 'string' } },
    async run(config, values) {
      const organizationId = required(values, 'org');
      print(
        await withDatabase(config, async (db) => {
          await requireOrganization(db, organizationId);
          return listApiKeys(db, organizationId);
        }),
      );
      return 0;
    },
  },

  outbox: {
    synopsis: 'outbox --org ID [--limit N]',
    summary: "Show an organisation's mail in the local outbox, newest first.",
    details: `For an operator on the machine itself. Bodies (signing links, one-time codes) are shown
only without SMTP_URL, when the outbox is the mailbox.`,
    optionHelp: {
      '--org ID': 'the organisation (required)',
      '--limit N': 'how many messages, 1-500 (default 20)',
    },
    options: { org: { type: 'string' }, limit: { type: 'string' } },
    async run(config, values) {
      // For an operator on the machine itself, and still one organisation at a time: the
      // outbox holds signing links and one-time codes.
      const organizationId = required(values, 'org');
      const limit = Math.min(500, Math.max(1, Number(values.limit ?? 20) || 20));
      const withBodies = !config.smtpUrl;
      const secrets = sealedSecrets(loadOrCreateMasterKey(config.dataDir, config.masterKey));
      const messages = await withDatabase(config, async (db) => {
        await requireOrganization(db, organizationId);
        return listOutbox(db, secrets, { organizationId, limit, withBodies, reader: 'operator' });
      });
      for (const m of messages) {
        const body = m.text === null ? '   (no body kept)' : m.text.replace(/^/gm, '   ');
        process.stdout.write(`── ${m.createdAt}  ${m.state}  to ${m.to}\n   ${m.subject}\n${body}\n\n`);
      }
      if (messages.length === 0) process.stdout.write('The outbox is empty.\n');
      return 0;
    },
  },

  'audit-verify': {
    synopsis: 'audit-verify [ENVELOPE_ID ...]',
    summary: "Check envelopes' audit hash chains (every envelope when no id is given).",
    details: 'Prints OK or FAIL per envelope, with each problem found.',
    exitStatus: '0 when every chain verifies, 1 if any event was edited, deleted or reordered.',
    options: {},
    async run(config, _values, positionals) {
      const results = await withDatabase(config, async (db) => {
        const ids =
          positionals.length > 0
            ? positionals
            : (await db.query<{ id: string }>('select id from envelopes order by created_at')).map(
                (r) => r.id,
              );
        const checked = [];
        for (const id of ids) {
          if (!isUuid(id)) throw new SignetError('ENVELOPE_NOT_FOUND', `Not an envelope id: ${id}`);
          checked.push(
            await verifyEnvelopeAudit(db, id).catch(() => {
              throw new SignetError('ENVELOPE_NOT_FOUND', `No envelope ${id}`);
            }),
          );
        }
        return checked;
      });
      for (const r of results) {
        process.stdout.write(`${r.ok ? 'OK  ' : 'FAIL'} ${r.envelopeId} (${r.events} events)\n`);
        for (const p of r.problems)
          process.stdout.write(`     event #${p.seq}: ${p.problem} — ${p.detail}\n`);
      }
      const failed = results.filter((r) => !r.ok).length;
      process.stdout.write(`${results.length - failed} verified, ${failed} failed\n`);
      return failed === 0 ? 0 : 1;
    },
  },

  seals: {
    synopsis: 'seals [--all]',
    summary: 'List envelopes whose seal failed or is stuck (pending or running for over 5 minutes).',
    optionHelp: {
      '--all': 'also list seals pending or running for less than 5 minutes',
    },
    exitStatus: '1 when any listed seal failed, 0 otherwise.',
    options: { all: { type: 'boolean' } },
    async run(config, values) {
      const rows = await withDatabase(config, (db) =>
        db.query<Record<string, unknown>>(
          `select id, organization_id, seal_state, seal_attempts, seal_last_error, seal_requested_at
             from envelopes where seal_state in ('pending', 'running', 'failed')
              ${values.all ? '' : "and (seal_state = 'failed' or seal_requested_at < now() - interval '5 minutes')"}
            order by seal_requested_at`,
        ),
      );
      print(rows);
      return rows.some((r) => r.seal_state === 'failed') ? 1 : 0;
    },
  },

  renew: {
    synopsis: 'renew FILE [--out OUT]',
    summary: 'Add fresh validation data and a new archive time-stamp to a sealed PDF (PAdES B-LTA).',
    details: `Writes OUT (default: FILE with .renewed.pdf); FILE itself is never changed. Uses this
installation's TSA (TSA_URLS, or the built-in one) and revocation data. Prints when the archive
time-stamp's certificates expired before and expire now. The nightly archive.renew job does the
same for every sealed envelope within ARCHIVE_RENEWAL_MARGIN_DAYS, keeping each version. With the
embedded database, run it while the server is stopped.`,
    optionHelp: { '--out OUT': 'where to write the renewed file' },
    options: { out: { type: 'string' } },
    async run(config, values, positionals) {
      const [file, ...extra] = positionals;
      if (!file || extra.length > 0)
        throw new SignetError('CLI_OPTION_REQUIRED', 'give exactly one PDF file');
      const out = (values.out as string | undefined) ?? file.replace(/(\.pdf)?$/i, '.renewed.pdf');
      const pdf = await readInput(file);
      const { loadSealingKeys } = await platformEntry();
      const result = await withDatabase(config, async (db) => {
        const outbound = createOutboundClient(config.outbound);
        try {
          const pki = await loadSealingKeys(
            config,
            db,
            loadOrCreateMasterKey(config.dataDir, config.masterKey),
            outbound,
          );
          const trustAnchors = [pki.rootDer];
          const before = await archiveHorizon(pdf, { trustAnchors });
          const renewed = await renewArchiveTimestamp(pdf, pki.pades);
          const after = await archiveHorizon(renewed, { trustAnchors });
          await writeFile(out, renewed);
          return {
            file: out,
            archiveExpiresAt: { before: before?.expiresAt ?? null, after: after?.expiresAt ?? null },
          };
        } finally {
          await outbound.close();
        }
      });
      print(result);
      return 0;
    },
  },

  'ca-root': {
    synopsis: 'ca-root',
    summary: 'Print the root certificate (PEM) that relying parties should trust.',
    details: 'The same certificate as GET /pki/root.pem. Works while the server runs.',
    options: {},
    async run(config) {
      const { loadSealingRootPem } = await platformEntry();
      process.stdout.write(await loadSealingRootPem(config));
      return 0;
    },
  },

  ...caCommands,

  'revoke-certificate': {
    synopsis: 'revoke-certificate SERIAL [--reason R]',
    summary: "Revoke a certificate Signet's CA issued; OCSP and the CRL say so at once.",
    details: "SERIAL is the certificate's serial number in hex.",
    optionHelp: {
      '--reason R': `an RFC 5280 reason: keyCompromise, superseded, cessationOfOperation, …
(default unspecified)`,
    },
    options: { reason: { type: 'string' } },
    async run(config, values, positionals) {
      const [serial, ...extra] = positionals;
      if (!serial || extra.length > 0) {
        throw new SignetError('CLI_OPTION_REQUIRED', 'give exactly one certificate serial number (hex)');
      }
      const reason = (values.reason as string | undefined) ?? 'unspecified';
      if (!isRevocationReason(reason)) {
        throw new SignetError(
          'REVOCATION_REASON_UNKNOWN',
          `Unknown reason ${reason}; known: ${Object.keys(REVOCATION_REASONS).join(', ')}`,
        );
      }
      const revoked = await withDatabase(config, (db) => revokeCertificate(db, serial, reason));
      print(revoked);
      return 0;
    },
  },

  'hsm-keys': {
    synopsis: 'hsm-keys',
    summary: 'Log in to the PKCS#11 token and list the labels of its private keys.',
    details: 'Needs PKCS11_MODULE, PKCS11_TOKEN_LABEL and PKCS11_PIN. Prints {"token", "keys": [labels]}.',
    options: {},
    async run(config) {
      if (!config.pkcs11) {
        throw new SignetError(
          'PKCS11_NOT_CONFIGURED',
          'set PKCS11_MODULE, PKCS11_TOKEN_LABEL and PKCS11_PIN to use a PKCS#11 token',
        );
      }
      const store = await openPkcs11KeyStore(config.pkcs11);
      try {
        print({ token: store.tokenLabel, keys: await store.list() });
      } finally {
        await store.close();
      }
      return 0;
    },
  },

  ...keyCommands,

  verify: {
    ...verifyHelp,
    options: verifyOptions,
    run: (config, values, positionals) => runVerify(config, values, positionals),
  },

  'sample-pdf': {
    synopsis: 'sample-pdf FILE [--title T]',
    summary: 'Write a one-page PDF to try Signet with (the README walkthrough uses it).',
    details: `Writes FILE (replacing it): an A4 page with the title, a paragraph and two signature lines
where the walkthrough places its signers' fields. Needs no server, database or configuration.`,
    optionHelp: {
      '--title T': 'the title printed on the page (default "Sample agreement")',
    },
    options: { title: { type: 'string' } },
    async run(_config, values, positionals) {
      const [file, ...extra] = positionals;
      if (!file || extra.length > 0) {
        throw new SignetError('CLI_OPTION_REQUIRED', 'give exactly one file to write the PDF to');
      }
      const title =
        typeof values.title === 'string' && values.title.trim() !== '' ? values.title : 'Sample agreement';
      await writeFile(file, await makeSamplePdf(title));
      process.stdout.write(`${file}: a one-page sample PDF\n`);
      return 0;
    },
  },
};
