import type { Sql } from '../db/database.ts';

/**
 * The envelope whose sealed PDF has exactly this SHA-256 (hex), if this installation sealed it —
 * any version of it: the seal's, or one a renewal added an archive time-stamp to. Only the
 * envelope id is revealed: who signed and what it says stay behind the API key.
 */
export async function findSealedDocument(
  db: Sql,
  sha256Hex: string,
): Promise<{ envelopeId: string } | undefined> {
  if (!/^[0-9a-f]{64}$/.test(sha256Hex)) return undefined;
  const [row] = await db.query<{ id: string }>(
    `select v.envelope_id as id from sealed_versions v join envelopes e on e.id = v.envelope_id
      where v.sha256 = $1 and e.seal_state = 'done' order by v.created_at limit 1`,
    [sha256Hex],
  );
  return row ? { envelopeId: row.id } : undefined;
}
