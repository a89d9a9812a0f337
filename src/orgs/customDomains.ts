import { LRUCache } from 'lru-cache';
import type { Database, Sql } from '../db/database.ts';
import { normalizeHost } from '../http/hostName.ts';

export { normalizeHost };

/*
 * Custom domains (SPEC §G): an organisation may be reached at its own host name. A request whose
 * Host is that name belongs to that organisation (its sign-in page, its brand), and every link
 * built for the organisation — signing links, mail links, the logo — uses https://<domain>.
 *
 * Both directions are asked on hot paths (every mail, every request to a custom host), so the
 * answers are cached per database for a minute; a change made through this process forgets
 * them at once, other instances see it within the minute.
 */

const TTL_MS = 60_000;

interface Directory {
  byHost: LRUCache<string, { organizationId: string | null }>;
  byOrganization: LRUCache<string, { domain: string | null }>;
}

const directories = new WeakMap<Database, Directory>();

function directoryOf(db: Sql): Directory {
  const key = db.database;
  let directory = directories.get(key);
  if (!directory) {
    directory = {
      byHost: new LRUCache({ max: 10_000, ttl: TTL_MS }),
      byOrganization: new LRUCache({ max: 10_000, ttl: TTL_MS }),
    };
    directories.set(key, directory);
  }
  return directory;
}

/** The organisation whose custom domain `host` is, or null (the platform's own host, or unknown). */
export async function organizationForHost(sql: Sql, host: string | undefined): Promise<string | null> {
  if (!host) return null;
  const name = normalizeHost(host);
  const { byHost } = directoryOf(sql);
  const cached = byHost.get(name);
  if (cached) return cached.organizationId;
  const [row] = await sql.query<{ id: string }>('select id from organizations where custom_domain = $1', [
    name,
  ]);
  byHost.set(name, { organizationId: row?.id ?? null });
  return row?.id ?? null;
}

/** The organisation's custom domain, or null. */
export async function customDomainOf(sql: Sql, organizationId: string): Promise<string | null> {
  const { byOrganization } = directoryOf(sql);
  const cached = byOrganization.get(organizationId);
  if (cached) return cached.domain;
  const [row] = await sql.query<{ custom_domain: string | null }>(
    'select custom_domain from organizations where id = $1',
    [organizationId],
  );
  const domain = row?.custom_domain ?? null;
  byOrganization.set(organizationId, { domain });
  return domain;
}

/**
 * Where the organisation's links point: https://<custom domain> when it has one, else the
 * platform's PUBLIC_URL (`platformUrl`, without a trailing slash).
 */
export async function publicUrlFor(sql: Sql, platformUrl: string, organizationId: string): Promise<string> {
  const domain = await customDomainOf(sql, organizationId);
  return domain ? `https://${domain}` : platformUrl;
}

/** After a custom domain changed: the next lookups read the database. */
export function forgetCustomDomains(db: Sql): void {
  const directory = directories.get(db.database);
  directory?.byHost.clear();
  directory?.byOrganization.clear();
}
