import assert from 'node:assert/strict';
import type { ApiClient } from './apiClient.ts';
import { envelopeJson } from './apiClient.ts';
import { makePdf } from './pdfFixtures.ts';
import type { SmtpReceiver } from './smtpReceiver.ts';

/**
 * Sends a one-signer envelope (plus any `others`) whose signer must pass `identity`, and reads
 * the signer's link token out of the invitation a real SMTP server received, as they would.
 */
export async function inviteSigner(
  api: ApiClient,
  smtp: SmtpReceiver,
  email: string,
  identity: unknown[] = [{ kind: 'email' }],
  others: Record<string, unknown>[] = [],
): Promise<{ token: string; envelopeId: string }> {
  const created = await api.post<{ id: string }>(
    '/api/v1/envelopes?send=true',
    envelopeJson(await makePdf(), {
      recipients: [{ name: 'Sam Signer', email, role: 'signer', identity }, ...others],
      fields: [{ recipient: email, type: 'signature', page: 1, x: 50, y: 600, width: 150, height: 40 }],
    }),
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const mail = await smtp.waitFor((m) => m.to.includes(email), `invitation to ${email}`);
  const token = /\/sign\/([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1];
  assert.ok(token, `a signing link in the invitation to ${email}`);
  return { token, envelopeId: created.body.id };
}
