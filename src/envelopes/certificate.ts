import { renderCertificateOfCompletion } from '../evidence/certificatePdf.ts';
import { loadSignaturePolicy } from '../orgs/signaturePolicy.ts';
import { signPades } from '../pdf/pades.ts';
import type { Platform } from '../platform.ts';
import type { EnvelopeRow } from './aggregate/rows.ts';
import { completionRecord } from './completionRecord.ts';
import { platformSeal } from './sealing.ts';

/**
 * The certificate of completion on its own (GET …/certificate), sealed like the completed
 * document: the platform's seal at the organisation's PAdES level, so a copy passed around is
 * as verifiable as the one inside the sealed document. It states the envelope as it is now,
 * with the sealed document's fingerprint once there is one.
 */
export async function sealedCertificate(platform: Platform, envelope: EnvelopeRow): Promise<Uint8Array> {
  const results = envelope.sealed_sha256
    ? [{ kind: 'sealedDocument' as const, sha256: envelope.sealed_sha256 }]
    : [];
  const [record, policy] = await Promise.all([
    completionRecord(platform, envelope, results),
    loadSignaturePolicy(platform.db, envelope.organization_id),
  ]);
  const certificate = await renderCertificateOfCompletion(record);
  return signPades(
    certificate,
    [platformSeal(platform, `Certificate of completion of envelope ${envelope.id}`)],
    policy.padesLevel,
    platform.pki.pades,
  );
}
