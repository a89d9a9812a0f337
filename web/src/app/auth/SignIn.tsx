import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { signet } from '../../shared/api.ts';
import { problemMessage } from '../lib/problems.ts';
import { safeNext, useSession } from '../session.tsx';
import { Alert } from '../ui/Alert.tsx';
import { AuthLayout } from './AuthLayout.tsx';
import {
  finishSecondFactor,
  isPasskeyCancelled,
  passkeysSupported,
  signInWithPasskey,
  signInWithPasswordAndCookie,
} from './authApi.ts';

/*
 * /login: email and password, then a TOTP or recovery code when the account has two-step
 * sign-in; or a passkey; or the organisation's single sign-on, when the page knows the
 * organisation — by its custom domain (GET /api/v1/branding) or by `?organization=<id>`, the
 * link an admin hands their staff — and it has SSO turned on for staff.
 */

type Step = { kind: 'password' } | { kind: 'second-factor'; challenge: string };

export function SignIn() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const { state, refresh } = useSession();
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get('next'));
  const sso = useStaffSignIn(params.get('organization'));

  useEffect(() => {
    if (state.status === 'signed-in') navigate(next, { replace: true });
  }, [state.status, navigate, next]);

  async function signedIn() {
    const now = await refresh();
    // The answer said yes but no cookie came back: the server does not keep browser sessions.
    if (now.status !== 'signed-in') setProblem(t('signIn.noSession'));
  }

  async function attempt(work: () => Promise<void>) {
    setBusy(true);
    setProblem(undefined);
    try {
      await work();
    } catch (error) {
      setProblem(isPasskeyCancelled(error) ? t('signIn.passkeyCancelled') : problemMessage(error, t));
    } finally {
      setBusy(false);
    }
  }

  const notice = params.get('notice');
  return (
    <AuthLayout title={t('signIn.title')}>
      {notice === 'password-reset' && <Alert tone="success">{t('signIn.afterReset')}</Alert>}
      {notice === 'invite-accepted' && <Alert tone="success">{t('signIn.afterInvite')}</Alert>}
      {notice === 'signed-out' && <Alert tone="info">{t('signIn.signedOut')}</Alert>}
      {problem && <Alert>{problem}</Alert>}
      {step.kind === 'password' ? (
        <PasswordStep
          busy={busy}
          onSubmit={(email, password) =>
            attempt(async () => {
              const answer = await signInWithPasswordAndCookie(email, password);
              if (answer.status === 'second-factor-required') {
                setStep({ kind: 'second-factor', challenge: answer.challenge });
              } else {
                await signedIn();
              }
            })
          }
        />
      ) : (
        <SecondFactorStep
          busy={busy}
          onSubmit={(answer) =>
            attempt(async () => {
              await finishSecondFactor(step.challenge, answer);
              await signedIn();
            })
          }
          onCancel={() => {
            setProblem(undefined);
            setStep({ kind: 'password' });
          }}
        />
      )}
      {step.kind === 'password' && sso && (sso.saml || sso.oidc) && (
        <div className="auth-alternatives">
          <p className="divider">
            <span>{t('signIn.or')}</span>
          </p>
          {sso.saml && (
            <a className="button button-secondary button-wide" href={`/auth/sso/${sso.organizationId}/saml`}>
              {t('signIn.ssoSaml')}
            </a>
          )}
          {sso.oidc && (
            <a className="button button-secondary button-wide" href={`/auth/sso/${sso.organizationId}/oidc`}>
              {t('signIn.ssoOidc')}
            </a>
          )}
        </div>
      )}
      {step.kind === 'password' && passkeysSupported() && (
        <div className="auth-alternatives">
          <p className="divider">
            <span>{t('signIn.or')}</span>
          </p>
          <button
            type="button"
            className="button button-secondary button-wide"
            disabled={busy}
            onClick={() =>
              attempt(async () => {
                await signInWithPasskey();
                await signedIn();
              })
            }
          >
            {t('signIn.passkey')}
          </button>
        </div>
      )}
    </AuthLayout>
  );
}

function PasswordStep({
  busy,
  onSubmit,
}: {
  busy: boolean;
  onSubmit(email: string, password: string): void;
}) {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(email.trim(), password);
  };
  return (
    <form className="stack" onSubmit={submit}>
      <div className="field">
        <label htmlFor="sign-in-email">{t('signIn.email')}</label>
        <input
          id="sign-in-email"
          type="email"
          autoComplete="username webauthn"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="sign-in-password">{t('signIn.password')}</label>
        <input
          id="sign-in-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      </div>
      <button type="submit" className="button button-primary button-wide" disabled={busy}>
        {busy ? t('signIn.signingIn') : t('signIn.submit')}
      </button>
      <p className="auth-links">
        <Link to="/app/reset-password">{t('signIn.forgot')}</Link>
      </p>
    </form>
  );
}

function SecondFactorStep({
  busy,
  onSubmit,
  onCancel,
}: {
  busy: boolean;
  onSubmit(answer: { code: string } | { recoveryCode: string }): void;
  onCancel(): void;
}) {
  const { t } = useTranslation();
  const [recovery, setRecovery] = useState(false);
  const [value, setValue] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
  }, []);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const entered = value.trim();
    onSubmit(recovery ? { recoveryCode: entered } : { code: entered.replace(/\s+/g, '') });
  };
  return (
    <form className="stack" onSubmit={submit}>
      <p>{recovery ? t('signIn.recoveryIntro') : t('signIn.totpIntro')}</p>
      <div className="field">
        <label htmlFor="second-factor">{recovery ? t('signIn.recoveryCode') : t('signIn.totpCode')}</label>
        <input
          ref={input}
          id="second-factor"
          key={recovery ? 'recovery' : 'totp'}
          inputMode={recovery ? 'text' : 'numeric'}
          autoComplete="one-time-code"
          required
          value={value}
          onChange={(event) => setValue(event.target.value)}
        />
      </div>
      <button type="submit" className="button button-primary button-wide" disabled={busy}>
        {t('signIn.verify')}
      </button>
      <p className="auth-links">
        <button
          type="button"
          className="link-button"
          onClick={() => {
            setValue('');
            setRecovery(!recovery);
            requestAnimationFrame(() => input.current?.focus());
          }}
        >
          {recovery ? t('signIn.useTotp') : t('signIn.useRecovery')}
        </button>
        <button type="button" className="link-button" onClick={onCancel}>
          {t('signIn.startOver')}
        </button>
      </p>
    </form>
  );
}

type StaffSignIn = { organizationId: string; saml: boolean; oidc: boolean };

/** The organisation's single sign-on for staff: by `?organization=` or by this host. */
function useStaffSignIn(organizationParam: string | null): StaffSignIn | undefined {
  const [found, setFound] = useState<StaffSignIn>();
  useEffect(() => {
    let current = true;
    const load = async () => {
      const brand = organizationParam
        ? await signet().get('/api/v1/branding/{organizationId}', {
            params: { path: { organizationId: organizationParam } },
          })
        : await signet().get('/api/v1/branding');
      if (current && brand.organizationId && brand.staffSignIn) {
        setFound({ organizationId: brand.organizationId, ...brand.staffSignIn });
      }
    };
    // An unknown organisation or a plain host simply offers no single sign-on.
    load().catch(() => undefined);
    return () => {
      current = false;
    };
  }, [organizationParam]);
  return found;
}
