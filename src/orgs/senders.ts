import type { Sql } from '../db/database.ts';
import { findOwner } from './organizations.ts';

/**
 * The person an envelope comes from, as its mail names them ("Ada Lovelace via Acme"): the
 * signed-in user who sent it; for an API key, the user who made the key; else the organisation's
 * owner. The name may be empty — a user who never gave one — and then the brand speaks alone.
 */
export async function findSender(
  sql: Sql,
  who: { organizationId: string; userId?: string | null; apiKeyId?: string | null },
): Promise<{ name: string; email: string } | null> {
  if (who.userId) {
    const [user] = await sql.query<{ name: string; email: string }>(
      'select name, email from users where id = $1 and organization_id = $2',
      [who.userId, who.organizationId],
    );
    if (user) return user;
  }
  if (who.apiKeyId) {
    const [creator] = await sql.query<{ name: string; email: string }>(
      `select u.name, u.email from api_keys k join users u on u.id = k.created_by
        where k.id = $1 and k.organization_id = $2`,
      [who.apiKeyId, who.organizationId],
    );
    if (creator) return creator;
  }
  return findOwner(sql, who.organizationId);
}
