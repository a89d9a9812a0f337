/**
 * What each notification says (SPEC §J), pure: text and HTML from the facts. Per-organisation
 * templates and branding (SPEC §G) will replace these defaults.
 */
export type MailKind =
  | 'invitation'
  | 'reminder'
  | 'completed'
  | 'declined'
  | 'voided'
  | 'expired'
  | 'one-time-code'
  | 'webhook-disabled'
  | 'account-invitation'
  | 'password-reset';

export interface ComposedMail {
  kind: MailKind;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface EnvelopeFacts {
  title: string;
  organizationName: string;
  senderName: string;
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function render(
  kind: MailKind,
  to: string,
  subject: string,
  paragraphs: string[],
  action?: { label: string; url: string },
) {
  const text = [...paragraphs, ...(action ? [`${action.label}: ${action.url}`] : [])].join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5;color:#1a1a1a">',
    ...paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`),
    action
      ? `<p><a href="${escapeHtml(action.url)}" style="display:inline-block;padding:10px 18px;background:#1f4fd1;color:#fff;text-decoration:none;border-radius:4px">${escapeHtml(action.label)}</a></p><p style="font-size:12px;color:#555">Or open this link: ${escapeHtml(action.url)}</p>`
      : '',
    '</body></html>',
  ].join('');
  return { kind, to, subject, text, html };
}

/** The code alone in the subject would show on lock screens; it goes in the body only. */
export function oneTimeCodeMail(
  facts: EnvelopeFacts,
  to: string,
  code: string,
  minutes: number,
): ComposedMail {
  return render('one-time-code', to, `Your code to sign "${facts.title}"`, [
    `Your one-time code is ${code}`,
    `Enter it on the signing page within ${minutes} minutes. ${facts.organizationName} will never ask you for it by phone or mail.`,
    'If you did not ask for a code, ignore this message.',
  ]);
}

export function invitationMail(
  facts: EnvelopeFacts & { message: string; recipientName: string; role: string },
  to: string,
  signingUrl: string,
  reminder = false,
): ComposedMail {
  const verb = facts.role === 'signer' ? 'sign' : facts.role === 'approver' ? 'approve' : 'review';
  return render(
    reminder ? 'reminder' : 'invitation',
    to,
    `${reminder ? 'Reminder: ' : ''}Please ${verb}: ${facts.title}`,
    [
      `Hello ${facts.recipientName},`,
      `${facts.senderName || facts.organizationName} has sent you "${facts.title}" to ${verb}.`,
      ...(facts.message ? [facts.message] : []),
      'This link is personal to you: do not forward it.',
    ],
    { label: `Review and ${verb}`, url: signingUrl },
  );
}

export function completedMail(
  facts: EnvelopeFacts,
  to: string,
  recipientName: string,
  downloadUrl: string | null,
  attached: boolean,
): ComposedMail {
  return render(
    'completed',
    to,
    `Completed: ${facts.title}`,
    [
      `Hello ${recipientName},`,
      `All parties have completed "${facts.title}". ${
        attached
          ? 'The sealed document is attached.'
          : 'The sealed document is too large to attach; use the link below.'
      }`,
    ],
    downloadUrl ? { label: 'View the completed document', url: downloadUrl } : undefined,
  );
}

export function declinedMail(
  facts: EnvelopeFacts,
  to: string,
  declinedBy: string,
  reason: string,
): ComposedMail {
  return render('declined', to, `Declined: ${facts.title}`, [
    `${declinedBy} declined to sign "${facts.title}".`,
    `Reason given: ${reason}`,
    'The envelope is closed; nobody else can sign it.',
  ]);
}

export function voidedMail(facts: EnvelopeFacts, to: string, reason: string): ComposedMail {
  return render('voided', to, `Voided: ${facts.title}`, [
    `${facts.senderName || facts.organizationName} voided "${facts.title}".`,
    `Reason: ${reason}`,
    'Links you received for it no longer work.',
  ]);
}

export function expiredMail(facts: EnvelopeFacts, to: string, pending: string[]): ComposedMail {
  return render('expired', to, `Expired: ${facts.title}`, [
    `"${facts.title}" expired before everyone had acted.`,
    `Still waiting for: ${pending.join(', ') || 'nobody'}`,
    'Its signing links no longer work. Send a new envelope if it is still needed.',
  ]);
}

/** To the organisation's owner: a webhook endpoint failed for days and stopped (src/webhooks/). */
export function webhookDisabledMail(
  to: string,
  webhook: { organizationName: string; id: string; url: string; failingSince: Date },
): ComposedMail {
  // The URL without its query: some receivers put a token there.
  const url = new URL(webhook.url);
  return render('webhook-disabled', to, `Webhook disabled: ${url.host}`, [
    `Every attempt to deliver ${webhook.organizationName}'s webhook events to ${url.origin}${url.pathname} has failed since ${webhook.failingSince.toISOString().slice(0, 16).replace('T', ' ')} UTC, so Signet has stopped sending to it.`,
    `The failed attempts are in its delivery log (GET /api/v1/webhooks/${webhook.id}/deliveries). Once the receiver answers again, enable the webhook (PATCH /api/v1/webhooks/${webhook.id} with {"enabled": true}) and replay the messages it needs; nothing is sent to it for events while it is disabled.`,
  ]);
}

/** To someone an admin added to the organisation: a link to set their password (src/orgs/accounts.ts). */
export function accountInvitationMail(
  to: string,
  invitation: { organizationName: string; invitedBy: string; role: string; url: string; expiresAt: Date },
): ComposedMail {
  const who = invitation.invitedBy ? `${invitation.invitedBy} has invited you` : 'You have been invited';
  const role =
    invitation.role === 'admin' || invitation.role === 'owner'
      ? `an ${invitation.role}`
      : `a ${invitation.role}`;
  return render(
    'account-invitation',
    to,
    `You are invited to join ${invitation.organizationName}`,
    [
      `${who} to join ${invitation.organizationName} as ${role}.`,
      `Choose your password with the link below before ${invitation.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. It works once; do not forward it.`,
      'If you did not expect this, ignore this message.',
    ],
    { label: 'Accept the invitation', url: invitation.url },
  );
}

/** The link to choose a new password; the subject and body never say whether an account exists elsewhere. */
export function passwordResetMail(
  to: string,
  reset: { organizationName: string; url: string; minutes: number },
): ComposedMail {
  return render(
    'password-reset',
    to,
    `Reset your ${reset.organizationName} password`,
    [
      `Someone (we hope you) asked to reset the password of your ${reset.organizationName} account.`,
      `The link below works once, for ${reset.minutes} minutes. Choosing a new password signs you out everywhere.`,
      'If you did not ask for this, ignore this message: your password stays as it is.',
    ],
    { label: 'Choose a new password', url: reset.url },
  );
}
