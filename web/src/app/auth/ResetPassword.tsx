import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { problemMessage } from '../lib/problems.ts';
import { Alert } from '../ui/Alert.tsx';
import { AuthLayout } from './AuthLayout.tsx';
import { completePasswordReset, requestPasswordReset } from './authApi.ts';
import { NewPasswordFields, passwordProblem } from './NewPasswordFields.tsx';

/**
 * /app/reset-password: asks for the email the reset link goes to; opened from that link
 * (?token=…), sets the new password.
 */
export function ResetPassword() {
  const [params] = useSearchParams();
  const token = params.get('token');
  return token ? <CompleteReset token={token} /> : <RequestReset />;
}

function RequestReset() {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      await requestPasswordReset(email.trim());
      setSent(true);
    } catch (error) {
      setProblem(problemMessage(error, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthLayout title={t('reset.title')}>
      {sent ? (
        <Alert tone="success">{t('reset.sent', { email: email.trim() })}</Alert>
      ) : (
        <form className="stack" onSubmit={submit}>
          <p>{t('reset.intro')}</p>
          {problem && <Alert>{problem}</Alert>}
          <div className="field">
            <label htmlFor="reset-email">{t('signIn.email')}</label>
            <input
              id="reset-email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          </div>
          <button type="submit" className="button button-primary button-wide" disabled={busy}>
            {t('reset.send')}
          </button>
        </form>
      )}
      <p className="auth-links">
        <Link to="/login">{t('reset.backToSignIn')}</Link>
      </p>
    </AuthLayout>
  );
}

function CompleteReset({ token }: { token: string }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const mismatch = passwordProblem(password, repeat, t);
    if (mismatch) return setProblem(mismatch);
    setBusy(true);
    setProblem(undefined);
    try {
      await completePasswordReset(token, password);
      navigate('/login?notice=password-reset', { replace: true });
    } catch (error) {
      setProblem(problemMessage(error, t));
      setBusy(false);
    }
  };
  return (
    <AuthLayout title={t('reset.chooseTitle')}>
      <form className="stack" onSubmit={submit}>
        {problem && <Alert>{problem}</Alert>}
        <NewPasswordFields
          password={password}
          repeat={repeat}
          onPassword={setPassword}
          onRepeat={setRepeat}
        />
        <button type="submit" className="button button-primary button-wide" disabled={busy}>
          {t('reset.save')}
        </button>
      </form>
      <p className="auth-links">
        <Link to="/login">{t('reset.backToSignIn')}</Link>
      </p>
    </AuthLayout>
  );
}
