import type { AccountMailer } from '../orgs/accounts.ts';
import type { Platform } from '../platform.ts';
import { accountInvitationMail, passwordResetMail } from './messages.ts';
import { queueMail } from './outbox.ts';

/**
 * Staff account mail (src/orgs/accounts.ts): composed here, queued in the caller's transaction.
 * A link works once and for a while; the local outbox keeps the mail's body no longer than that.
 */
export function accountMailer(platform: Pick<Platform, 'queue' | 'secrets'>): AccountMailer {
  return async (tx, mail) => {
    const composed =
      mail.kind === 'invitation'
        ? accountInvitationMail(mail.to, mail)
        : passwordResetMail(mail.to, {
            organizationName: mail.organizationName,
            url: mail.url,
            minutes: Math.round((mail.expiresAt.getTime() - Date.now()) / 60_000),
          });
    await queueMail(platform, tx, { organizationId: mail.organizationId, envelopeId: null }, composed, [], {
      expiresAt: mail.expiresAt,
    });
  };
}
