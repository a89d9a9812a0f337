import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { problemMessage } from '../lib/problems.ts';
import { useSession } from '../session.tsx';
import { Alert } from '../ui/Alert.tsx';
import { AuthLayout } from './AuthLayout.tsx';
import { acceptInvite } from './authApi.ts';
import { NewPasswordFields, passwordProblem } from './NewPasswordFields.tsx';

/** /app/accept-invite?token=…: the invited colleague gives their name and chooses a password. */
export function AcceptInvite() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get('token');
  const navigate = useNavigate();
  const { refresh } = useSession();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();

  if (!token) {
    return (
      <AuthLayout title={t('invite.title')}>
        <Alert>{t('invite.noToken')}</Alert>
        <p className="auth-links">
          <Link to="/login">{t('reset.backToSignIn')}</Link>
        </p>
      </AuthLayout>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const mismatch = passwordProblem(password, repeat, t);
    if (mismatch) return setProblem(mismatch);
    setBusy(true);
    setProblem(undefined);
    try {
      await acceptInvite(token, password, name.trim() || undefined);
      // Accepting may sign the person in; if it does not, they sign in with their new password.
      const now = await refresh();
      navigate(now.status === 'signed-in' ? '/app' : '/login?notice=invite-accepted', { replace: true });
    } catch (error) {
      setProblem(problemMessage(error, t));
      setBusy(false);
    }
  };

  return (
    <AuthLayout title={t('invite.title')}>
      <form className="stack" onSubmit={submit}>
        <p>{t('invite.intro')}</p>
        {problem && <Alert>{problem}</Alert>}
        <div className="field">
          <label htmlFor="invite-name">{t('invite.name')}</label>
          <input
            id="invite-name"
            autoComplete="name"
            maxLength={200}
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
        </div>
        <NewPasswordFields
          password={password}
          repeat={repeat}
          onPassword={setPassword}
          onRepeat={setRepeat}
        />
        <button type="submit" className="button button-primary button-wide" disabled={busy}>
          {t('invite.submit')}
        </button>
      </form>
    </AuthLayout>
  );
}
