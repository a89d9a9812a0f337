import { z } from 'zod';
import type { Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { PADES_LEVELS, type PadesLevel } from '../pdf/pades.ts';

/*
 * An organisation's signature policy (SPEC §C): the PAdES level its seals reach (default
 * B-LTA, the level that stays verifiable after certificates expire) and whether every signer
 * also gets a digital signature of their own, each its own incremental revision.
 */

export interface SignaturePolicy {
  padesLevel: PadesLevel;
  perSignerSignatures: boolean;
}

export const signaturePolicyInput = z
  .object({
    padesLevel: z.enum(PADES_LEVELS as unknown as [PadesLevel, ...PadesLevel[]]).optional(),
    perSignerSignatures: z.boolean().optional(),
  })
  .strict();

export async function loadSignaturePolicy(sql: Sql, organizationId: string): Promise<SignaturePolicy> {
  const [row] = await sql.query<{ pades_level: PadesLevel; per_signer_signatures: boolean }>(
    'select pades_level, per_signer_signatures from organizations where id = $1',
    [organizationId],
  );
  if (!row) throw new SignetError('ORGANIZATION_NOT_FOUND', 'No such organization');
  return { padesLevel: row.pades_level, perSignerSignatures: row.per_signer_signatures };
}

export async function updateSignaturePolicy(
  sql: Sql,
  organizationId: string,
  change: z.infer<typeof signaturePolicyInput>,
): Promise<SignaturePolicy> {
  await sql.query(
    `update organizations
        set pades_level = coalesce($2, pades_level),
            per_signer_signatures = coalesce($3, per_signer_signatures)
      where id = $1`,
    [organizationId, change.padesLevel ?? null, change.perSignerSignatures ?? null],
  );
  return loadSignaturePolicy(sql, organizationId);
}
