import type { IdentityCheckRow } from './checks.ts';

/** One line per identity check, from what proved it (identity_checks.evidence). */
export function describeIdentityCheck(
  check: Pick<IdentityCheckRow, 'kind' | 'status' | 'settings' | 'evidence'>,
): string {
  const evidence = (check.evidence ?? {}) as Record<string, unknown>;
  const done = check.status === 'passed' ? '' : ` — ${check.status}`;
  switch (check.kind) {
    case 'email':
      return `Email link (possession of the invitation mailbox)${done}`;
    case 'accessCode':
      return `Access code given by the sender${done}`;
    case 'otp':
      return check.settings.channel === 'sms'
        ? `One-time code by text message to ${String(check.settings.phone ?? '')}${done}`
        : `One-time code by email${done}`;
    case 'saml': {
      const parts = [`SAML identity provider ${String(evidence.idp ?? '')}`.trim()];
      if (evidence.levelOfAssurance) parts.push(`level of assurance ${String(evidence.levelOfAssurance)}`);
      const match = evidence.match as { result?: string; reasons?: string[] } | undefined;
      if (match?.result)
        parts.push(`identity ${match.result === 'match' ? 'matched' : 'not matched'} (GOV.UK Verify MDS)`);
      return `${parts.join(', ')}${done}`;
    }
    case 'oidc': {
      const who = [evidence.email, evidence.issuer].filter(Boolean).map(String);
      return `OpenID Connect provider${who.length ? ` (${who.join(' at ')})` : ''}${done}`;
    }
  }
}
