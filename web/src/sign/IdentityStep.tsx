import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type IdentityCheck, problemOf, type SigningSession, signerApi, signerUrls } from './signerApi.ts';

/*
 * The identity checks the sender asked for (SPEC §E), before any document is shown: an access
 * code, a one-time code by email or text message, or a sign-in at the organisation's SAML or
 * OpenID provider (a round trip in another tab; coming back to this one looks again).
 */
export function IdentityStep({
  token,
  session,
  onChanged,
  describeProblem,
}: {
  token: string;
  session: SigningSession;
  onChanged(): Promise<void>;
  describeProblem(code: string, detail: string): string;
}) {
  const { t } = useTranslation();
  const pending = session.identity.filter((check) => check.kind !== 'email' || check.status !== 'passed');

  // Back from the identity provider's tab: the check may have passed meanwhile.
  useEffect(() => {
    const refresh = () => {
      if (document.visibilityState === 'visible') void onChanged();
    };
    document.addEventListener('visibilitychange', refresh);
    return () => document.removeEventListener('visibilitychange', refresh);
  }, [onChanged]);

  return (
    <section className="card" aria-labelledby="identity-title">
      <h2 id="identity-title">{t('identity.title')}</h2>
      <p>{t('identity.intro', { organization: session.envelope.organizationName })}</p>
      {pending.map((check) => (
        <IdentityCheckView
          key={check.kind}
          token={token}
          check={check}
          onChanged={onChanged}
          describeProblem={describeProblem}
        />
      ))}
    </section>
  );
}

function IdentityCheckView({
  token,
  check,
  onChanged,
  describeProblem,
}: {
  token: string;
  check: IdentityCheck;
  onChanged(): Promise<void>;
  describeProblem(code: string, detail: string): string;
}) {
  const { t } = useTranslation();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    setProblem(null);
    try {
      await action();
      await onChanged();
    } catch (error) {
      const { code, detail } = problemOf(error);
      setProblem(describeProblem(code, detail));
    } finally {
      setBusy(false);
    }
  }

  const heading = t(`identity.kind.${check.kind}`);
  if (check.status === 'passed') {
    return (
      <p className="notice ok" role="status">
        {t('identity.passed', { check: heading })}
      </p>
    );
  }
  if (check.status === 'locked') {
    return (
      <div className="notice error" role="alert">
        <h3>{heading}</h3>
        <p>{t('identity.locked')}</p>
      </div>
    );
  }
  const failure = problem ? (
    <p className="notice error" role="alert">
      {problem}
    </p>
  ) : null;

  if (check.kind === 'accessCode') {
    return (
      <fieldset className="check">
        <legend>{heading}</legend>
        <CodeForm
          label={t('identity.accessCodeLabel')}
          busy={busy}
          onSubmit={(code) => run(() => signerApi.accessCode(token, code))}
        />
        {failure}
      </fieldset>
    );
  }
  if (check.kind === 'otp') {
    const where =
      check.channel === 'sms'
        ? t('identity.otpBySms', { to: check.sentTo ?? t('identity.yourPhone') })
        : t('identity.otpByEmail');
    return (
      <fieldset className="check">
        <legend>{heading}</legend>
        <p>{where}</p>
        <button
          type="button"
          className={check.codeSent ? 'secondary' : 'primary'}
          disabled={busy}
          onClick={() => void run(() => signerApi.sendOneTimeCode(token))}
        >
          {check.codeSent ? t('identity.otpResend') : t('identity.otpSend')}
        </button>
        {check.codeSent ? (
          <CodeForm
            label={t('identity.otpLabel')}
            numeric
            busy={busy}
            onSubmit={(code) => run(() => signerApi.verifyOneTimeCode(token, code))}
          />
        ) : null}
        {failure}
      </fieldset>
    );
  }
  // SAML or OpenID Connect: a round trip through the organisation's provider, in a new tab.
  const href = check.kind === 'saml' ? signerUrls.samlStart(token) : signerUrls.oidcStart(token);
  const retried = check.reason && !check.reason.endsWith('_IN_PROGRESS');
  return (
    <fieldset className="check">
      <legend>{heading}</legend>
      <p>
        {retried
          ? t('identity.providerRetry', { reason: check.reason })
          : t(`identity.providerIntro.${check.kind}`)}
      </p>
      <p>
        <a className="button primary" href={href} target="_blank" rel="noopener">
          {t(`identity.providerStart.${check.kind}`)}
          <span className="visually-hidden"> {t('action.newTab')}</span>
        </a>
      </p>
      <button type="button" className="secondary" disabled={busy} onClick={() => void run(async () => {})}>
        {t('identity.providerDone')}
      </button>
      {failure}
    </fieldset>
  );
}

function CodeForm({
  label,
  numeric = false,
  busy,
  onSubmit,
}: {
  label: string;
  numeric?: boolean;
  busy: boolean;
  onSubmit(code: string): Promise<void>;
}) {
  const { t } = useTranslation();
  const id = useId();
  const [code, setCode] = useState('');
  function submit(event: FormEvent) {
    event.preventDefault();
    if (code.trim()) void onSubmit(code.trim());
  }
  return (
    <form className="code-form" onSubmit={submit} noValidate>
      <label htmlFor={id}>{label}</label>
      <div className="inline">
        <input
          id={id}
          type="text"
          inputMode={numeric ? 'numeric' : 'text'}
          autoComplete="one-time-code"
          maxLength={64}
          value={code}
          onChange={(event) => setCode(event.target.value)}
        />
        <button type="submit" className="primary" disabled={busy}>
          {t('identity.verify')}
        </button>
      </div>
    </form>
  );
}
