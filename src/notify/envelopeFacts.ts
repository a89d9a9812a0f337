import type { Sql } from '../db/database.ts';
import { findOrganization } from '../orgs/organizations.ts';
import type { EnvelopeFacts } from './messages.ts';

/** What every mail about an envelope says about it: its title, the sending organisation and person. */
export async function loadMailFacts(
  sql: Sql,
  envelope: { title: string; organization_id: string; sender_name: string },
): Promise<EnvelopeFacts> {
  const organization = await findOrganization(sql, envelope.organization_id);
  return {
    title: envelope.title,
    organizationName: organization?.name ?? '',
    senderName: envelope.sender_name,
  };
}
