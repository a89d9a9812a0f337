import type { Sql } from '../db/database.ts';

/**
 * The envelope whose sealed PDF has exactly this SHA-256 (hex), if this installation sealed it.
 * Only the envelope id is revealed: who signed and what it says stay behind the API key.
 */
export async function findSealedDocument(
  db: Sql,
  sha256Hex: string,
): Promise<{ envelopeId: string } | undefined> {
  if (!/^[0-9a-f]{64}$/.test(sha256Hex)) return undefined;
  const [row] = await db.query<{ id: string }>(
    `select id from envelopes where sealed_sha256 = $1 and seal_state = 'done' order by sealed_at limit 1`,
    [sha256Hex],
  );
  return row ? { envelopeId: row.id } : undefined;
}
