import type { IdentityCheckRow } from './checks.ts';

export type DescriptionLanguage = 'en' | 'de';

/** The sentences of each language; the evidence's own values (IdP, issuer, phone) are put in as they are. */
const WORDS = {
  en: {
    email: 'Email link (possession of the invitation mailbox)',
    accessCode: 'Access code given by the sender',
    sms: (phone: string) => `One-time code by text message to ${phone}`,
    otpEmail: 'One-time code by email',
    idp: (idp: string) => `SAML identity provider ${idp}`,
    levelOfAssurance: (level: string) => `level of assurance ${level}`,
    matched: (matched: boolean) => `identity ${matched ? 'matched' : 'not matched'} (GOV.UK Verify MDS)`,
    oidc: 'OpenID Connect provider',
    at: ' at ',
    status: { failed: 'failed', locked: 'locked', pending: 'pending' } as Record<string, string>,
  },
  de: {
    email: 'E-Mail-Link (Zugriff auf das Postfach der Einladung)',
    accessCode: 'Zugangscode vom Absender',
    sms: (phone: string) => `Einmalcode per SMS an ${phone}`,
    otpEmail: 'Einmalcode per E-Mail',
    idp: (idp: string) => `SAML-Identitätsanbieter ${idp}`,
    levelOfAssurance: (level: string) => `Vertrauensniveau ${level}`,
    matched: (matched: boolean) =>
      `Identität ${matched ? 'abgeglichen' : 'nicht abgeglichen'} (GOV.UK Verify MDS)`,
    oidc: 'OpenID-Connect-Anbieter',
    at: ' bei ',
    status: { failed: 'fehlgeschlagen', locked: 'gesperrt', pending: 'ausstehend' } as Record<string, string>,
  },
};

/** One line per identity check, from what proved it (identity_checks.evidence). */
export function describeIdentityCheck(
  check: Pick<IdentityCheckRow, 'kind' | 'status' | 'settings' | 'evidence'>,
  language: DescriptionLanguage = 'en',
): string {
  const words = WORDS[language];
  const evidence = (check.evidence ?? {}) as Record<string, unknown>;
  const done = check.status === 'passed' ? '' : ` — ${words.status[check.status] ?? check.status}`;
  switch (check.kind) {
    case 'email':
      return `${words.email}${done}`;
    case 'accessCode':
      return `${words.accessCode}${done}`;
    case 'otp':
      return check.settings.channel === 'sms'
        ? `${words.sms(String(check.settings.phone ?? ''))}${done}`
        : `${words.otpEmail}${done}`;
    case 'saml': {
      const parts = [words.idp(String(evidence.idp ?? '')).trim()];
      if (evidence.levelOfAssurance) parts.push(words.levelOfAssurance(String(evidence.levelOfAssurance)));
      const match = evidence.match as { result?: string; reasons?: string[] } | undefined;
      if (match?.result) parts.push(words.matched(match.result === 'match'));
      return `${parts.join(', ')}${done}`;
    }
    case 'oidc': {
      const who = [evidence.email, evidence.issuer].filter(Boolean).map(String);
      return `${words.oidc}${who.length ? ` (${who.join(words.at)})` : ''}${done}`;
    }
  }
}
