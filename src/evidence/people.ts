import type { Sql } from '../db/database.ts';
import type { EnvelopeRow } from '../envelopes/aggregate/rows.ts';
import { loadDocuments, loadRecipients } from '../envelopes/aggregate/store.ts';
import { brandingFor } from '../orgs/branding.ts';
import { readAuditEvents } from './auditLog.ts';
import {
  type TimelineDirectory,
  type TimelineEntry,
  type TimelineLanguage,
  type TimelinePerson,
  timelineOf,
} from './timeline.ts';

/**
 * Who and what an envelope's audit events name by id — its recipients and documents, the staff
 * users and API keys of its organisation that acted on it — for the timeline and the certificate.
 */
export async function loadTimelineDirectory(
  sql: Sql,
  envelope: Pick<EnvelopeRow, 'id' | 'organization_id' | 'sender_name' | 'sender_email'>,
  actors: readonly string[],
): Promise<TimelineDirectory> {
  const ids = (prefix: string) =>
    [...new Set(actors.filter((a) => a.startsWith(prefix)).map((a) => a.slice(prefix.length)))].filter((id) =>
      /^[0-9a-f-]{36}$/i.test(id),
    );
  const [recipients, documents, branding, users, keys] = await Promise.all([
    loadRecipients(sql, envelope.id),
    loadDocuments(sql, envelope.id),
    brandingFor(sql, envelope.organization_id),
    sql.query<{ id: string; name: string; email: string }>(
      'select id, name, email from users where organization_id = $1 and id = any($2::uuid[])',
      [envelope.organization_id, ids('user:')],
    ),
    sql.query<{ id: string; name: string; creator_name: string | null; creator_email: string | null }>(
      `select k.id, k.name, u.name as creator_name, u.email as creator_email
         from api_keys k left join users u on u.id = k.created_by
        where k.organization_id = $1 and k.id = any($2::uuid[])`,
      [envelope.organization_id, ids('api-key:')],
    ),
  ]);
  return {
    recipients: new Map(recipients.map((r) => [r.id, { name: r.name, email: r.email, role: r.role }])),
    users: new Map(users.map((u): [string, TimelinePerson] => [u.id, { name: u.name, email: u.email }])),
    apiKeys: new Map(
      keys.map((k) => [
        k.id,
        {
          name: k.name,
          createdBy: k.creator_email ? { name: k.creator_name ?? '', email: k.creator_email } : null,
        },
      ]),
    ),
    documents: new Map(documents.map((d) => [d.id, d.name])),
    sender: envelope.sender_email ? { name: envelope.sender_name, email: envelope.sender_email } : null,
    productName: branding.productName,
  };
}

/** An envelope's audit trail as a timeline in plain words. */
export async function envelopeTimeline(
  sql: Sql,
  envelope: Pick<EnvelopeRow, 'id' | 'organization_id' | 'sender_name' | 'sender_email'>,
  language: TimelineLanguage,
): Promise<TimelineEntry[]> {
  const events = await readAuditEvents(sql, envelope.id);
  const directory = await loadTimelineDirectory(
    sql,
    envelope,
    events.map((e) => e.actor),
  );
  return timelineOf(events, directory, language);
}
