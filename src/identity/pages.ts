/*
 * The few pages identity checks need of their own (the SAML round trip and its outcomes), served
 * by the server until the web ceremony shows them: plain, accessible HTML, no script except the
 * auto-submitting form of the HTTP-POST binding, which also works without it.
 */

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function layout(title: string, body: string, nonce?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style${nonce ? ` nonce="${nonce}"` : ''}>
  body { font: 16px/1.5 system-ui, sans-serif; color: #1a1a1a; margin: 0; background: #f5f6f8; }
  main { max-width: 40rem; margin: 0 auto; padding: 1.5rem; background: #fff; min-height: 100vh; }
  h1 { font-size: 1.4rem; }
  .code { font-family: ui-monospace, monospace; color: #4b5563; font-size: .9rem; }
  button { font: inherit; padding: .6rem 1.2rem; border-radius: 4px; border: 0; background: #1f4fd1; color: #fff; }
</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

export interface OutcomePage {
  title: string;
  message: string;
  next: string;
  code?: string;
}

/** The signer's page after the identity provider answered: what happened, and what to do now. */
export function outcomePage(outcome: OutcomePage): string {
  return layout(
    outcome.title,
    `<h1>${escapeHtml(outcome.title)}</h1>
<p role="status">${escapeHtml(outcome.message)}</p>
<p>${escapeHtml(outcome.next)}</p>
${outcome.code ? `<p class="code">Reference: ${escapeHtml(outcome.code)}</p>` : ''}`,
  );
}

type Outcome = Omit<OutcomePage, 'code'>;

/** A signer's answer that reached a browser which did not start the check (./browserBinding.ts). */
export const CHECK_STARTED_IN_ANOTHER_BROWSER: Outcome = {
  title: 'Verification started in another browser',
  message:
    'This answer belongs to a verification that was not started in this browser, or not the latest one started in it, so it was not accepted.',
  next: 'Open your signing link in this browser and start the verification again from there.',
};

/** The answer to a staff sign-in this browser did not start (./browserBinding.ts). */
const SIGN_IN_IN_ANOTHER_BROWSER: Outcome = {
  title: 'Sign-in started in another browser',
  message:
    'This answer belongs to a sign-in that was not started in this browser, or not the latest one started in it, so it was not accepted.',
  next: 'Go back to Signet in this browser and sign in again from there.',
};

/** What a staff member reads when signing in through the organisation's provider failed. */
const STAFF_SIGN_IN_OUTCOMES: Record<string, Outcome> = {
  SSO_USER_UNKNOWN: {
    title: 'No Signet account',
    message: 'Your provider signed you in, but this organisation has no Signet user with your email address.',
    next: 'Ask an administrator of your organisation to add you, then sign in again.',
  },
  SSO_EMAIL_MISSING: {
    title: 'No email address',
    message: 'Your identity provider did not say which email address you sign in with.',
    next: 'Ask your administrator to release the mail attribute to Signet, then sign in again.',
  },
  OIDC_EMAIL_UNVERIFIED: {
    title: 'Email not verified',
    message: 'Your provider did not confirm the email address of your account.',
    next: 'Verify your email address with your provider, then sign in again.',
  },
  SAML_CANCELLED: {
    title: 'Sign-in cancelled',
    message: 'You cancelled at your identity provider.',
    next: 'Go back to Signet and sign in again when you are ready.',
  },
  OIDC_CANCELLED: {
    title: 'Sign-in cancelled',
    message: 'You did not allow the sign-in at your provider.',
    next: 'Go back to Signet and sign in again when you are ready.',
  },
  SAML_BROWSER_MISMATCH: SIGN_IN_IN_ANOTHER_BROWSER,
  OIDC_BROWSER_MISMATCH: SIGN_IN_IN_ANOTHER_BROWSER,
};

const STAFF_SIGN_IN_REFUSED: Outcome = {
  title: 'Sign-in failed',
  message: 'Signet could not accept the answer from your identity provider.',
  next: 'Go back to Signet and sign in again. If it keeps happening, tell your administrator the reference below.',
};

export function staffSignInOutcome(reason: string): Outcome {
  return STAFF_SIGN_IN_OUTCOMES[reason] ?? STAFF_SIGN_IN_REFUSED;
}

/** HTTP-POST binding (SAML Bindings §3.5): a form the browser submits to the identity provider. */
export function autoPostPage(action: string, fields: Record<string, string>, nonce: string): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return layout(
    'Continue to your identity provider',
    `<h1>Continue to your identity provider</h1>
<form id="saml" method="post" action="${escapeHtml(action)}">
${inputs}
<p>You are being sent to your identity provider to prove who you are.</p>
<button type="submit">Continue</button>
</form>
<script nonce="${nonce}">document.getElementById('saml').submit();</script>`,
    nonce,
  );
}
