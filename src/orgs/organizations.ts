import { randomUUID } from 'node:crypto';
import type { Database, Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { API_KEY_SCOPES, createApiKey } from './apiKeys.ts';
import { isUuid } from './pages.ts';
import { generatePassword, hashPassword } from './passwords.ts';

export interface Organization {
  id: string;
  name: string;
}

export interface CreatedOrganization {
  organizationId: string;
  adminUserId: string;
  adminEmail: string;
  adminPassword: string;
  apiKey: string;
}

const EMAIL = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;
export const isEmailAddress = (value: string) => EMAIL.test(value) && value.length <= 254;

/** Creates an organisation with its owner account and a first API key, in one transaction. */
export async function createOrganization(
  db: Database,
  input: { name: string; adminEmail: string; adminName?: string; isDefault?: boolean },
): Promise<CreatedOrganization> {
  const name = input.name.trim();
  if (!name) throw new SignetError('ORG_NAME_REQUIRED', 'An organisation needs a name');
  if (!isEmailAddress(input.adminEmail))
    throw new SignetError('EMAIL_INVALID', `Not an email address: ${input.adminEmail}`);
  const adminPassword = generatePassword();
  const passwordHash = await hashPassword(adminPassword);
  return db.transaction(async (tx) => {
    const organizationId = randomUUID();
    const adminUserId = randomUUID();
    await tx.query('insert into organizations (id, name, is_default) values ($1, $2, $3)', [
      organizationId,
      name,
      input.isDefault ?? false,
    ]);
    await tx.query(
      `insert into users (id, organization_id, email, name, role, password_hash) values ($1, $2, $3, $4, 'owner', $5)`,
      [adminUserId, organizationId, input.adminEmail.toLowerCase(), input.adminName ?? '', passwordHash],
    );
    // The owner's own first key, shown once with their login: it may administer the
    // organisation (its outbox, identity providers, policy). Keys made later get the
    // least-privilege default unless admin is asked for.
    const key = await createApiKey(tx, {
      organizationId,
      createdBy: adminUserId,
      name: 'initial key',
      scopes: [...API_KEY_SCOPES],
    });
    return {
      organizationId,
      adminUserId,
      adminEmail: input.adminEmail.toLowerCase(),
      adminPassword,
      apiKey: key.key,
    };
  });
}

export async function findOrganization(sql: Sql, id: string): Promise<Organization | null> {
  if (!isUuid(id)) return null;
  const [row] = await sql.query<Organization>('select id, name from organizations where id = $1', [id]);
  return row ?? null;
}

export async function hasAnyOrganization(sql: Sql): Promise<boolean> {
  const rows = await sql.query('select 1 from organizations limit 1');
  return rows.length > 0;
}

/** The organisation's owner, who receives sender notifications for API-created envelopes. */
export async function findOwner(
  sql: Sql,
  organizationId: string,
): Promise<{ email: string; name: string } | null> {
  const [row] = await sql.query<{ email: string; name: string }>(
    `select email, name from users where organization_id = $1 and role = 'owner' order by created_at limit 1`,
    [organizationId],
  );
  return row ?? null;
}

export { isUuid } from './pages.ts';
