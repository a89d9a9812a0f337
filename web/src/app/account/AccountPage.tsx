import { startRegistration } from '@simplewebauthn/browser';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { signet } from '../../shared/api.ts';
import { isPasskeyCancelled, passkeysSupported } from '../auth/authApi.ts';
import { NewPasswordFields, passwordProblem } from '../auth/NewPasswordFields.tsx';
import { problemMessage } from '../lib/problems.ts';
import { useApiErrors } from '../lib/useApiErrors.ts';
import { useTitle } from '../lib/useTitle.ts';
import { useMe, useSession } from '../session.tsx';
import { Alert } from '../ui/Alert.tsx';
import { useToast } from '../ui/toasts.tsx';

/*
 * /app/account: the signed-in person's own security, for every role. Two-step sign-in with an
 * authenticator app (POST /api/v1/auth/totp, then …/totp/confirm, which answers the recovery
 * codes this once); adding a passkey (registration options → the browser → POST …/passkeys);
 * changing the password (PUT /api/v1/auth/password). The API has no route to list or remove
 * passkeys, nor to turn two-step sign-in off, so this page offers neither.
 */

export function AccountPage() {
  const { t } = useTranslation();
  useTitle(t('account.title'));
  const me = useMe();
  return (
    <div className="page stack">
      <h1>{t('account.title')}</h1>
      <p className="hint page-intro">
        {me.name ? `${me.name} · ` : ''}
        {me.email} · {t(`staffRoles.${me.role}`, { defaultValue: me.role })}
      </p>
      <TwoStepSection />
      <PasskeySection />
      <PasswordSection />
    </div>
  );
}

/** Copies `text` and says whether that worked (a person can still select it by hand). */
function useCopy() {
  const { t } = useTranslation();
  const toast = useToast();
  return async (text: string, done: string) => {
    try {
      await navigator.clipboard.writeText(text);
      toast(done);
    } catch {
      toast(t('account.copyFailed'), 'error');
    }
  };
}

/** The base32 secret in groups of four, as authenticator apps show and people type it. */
const grouped = (secret: string) => secret.match(/.{1,4}/g)?.join(' ') ?? secret;

function TwoStepSection() {
  const { t } = useTranslation();
  const me = useMe();
  const { refresh } = useSession();
  const onError = useApiErrors();
  const copy = useCopy();
  const [enrolment, setEnrolment] = useState<{ secret: string; otpauthUri: string }>();
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[]>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const codeId = useId();

  const attempt = async (work: () => Promise<void>) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await work();
    } catch (error) {
      onError(error);
      setProblem(problemMessage(error, t));
    } finally {
      setBusy(false);
    }
  };
  const begin = () => attempt(async () => setEnrolment(await signet().post('/api/v1/auth/totp')));
  const confirm = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      const answer = await signet().post('/api/v1/auth/totp/confirm', {
        body: { code: code.replace(/\s+/g, '') },
      });
      setEnrolment(undefined);
      setCode('');
      setCodes(answer.recoveryCodes);
    });
  };

  return (
    <section className="card settings-section stack" aria-labelledby="account-two-step">
      <h2 id="account-two-step">{t('account.twoStep')}</h2>
      <p>{t('account.twoStepIntro')}</p>
      {codes ? (
        <div className="stack">
          <Alert tone="success">{t('account.twoStepOn')}</Alert>
          <h3>{t('account.recoveryTitle')}</h3>
          <Alert tone="info">{t('account.recoveryOnce')}</Alert>
          <ul className="recovery-codes" aria-label={t('account.recoveryTitle')}>
            {codes.map((one) => (
              <li key={one}>
                <code>{one}</code>
              </li>
            ))}
          </ul>
          <div className="actions">
            <button
              type="button"
              className="button button-secondary"
              onClick={() => void copy(codes.join('\n'), t('account.recoveryCopied'))}
            >
              {t('account.copyCodes')}
            </button>
            <button
              type="button"
              className="button button-primary"
              onClick={() => {
                // Forgotten here: they are shown this once.
                setCodes(undefined);
                void refresh();
              }}
            >
              {t('account.recoverySaved')}
            </button>
          </div>
        </div>
      ) : me.twoStepSignIn ? (
        <p className="status-line">
          <strong>{t('account.twoStepIsOn')}</strong>
        </p>
      ) : enrolment ? (
        <form className="stack" onSubmit={confirm}>
          <p>{t('account.enterKey')}</p>
          <div className="secret">
            <label htmlFor="totp-secret" className="visually-hidden">
              {t('account.keyLabel')}
            </label>
            <input
              id="totp-secret"
              className="secret-value"
              readOnly
              value={grouped(enrolment.secret)}
              onFocus={(event) => event.target.select()}
            />
            <button
              type="button"
              className="button button-secondary"
              onClick={() => void copy(enrolment.secret, t('account.keyCopied'))}
            >
              {t('account.copyKey')}
            </button>
          </div>
          <p className="hint">
            {t('account.noQr')} <a href={enrolment.otpauthUri}>{t('account.openInApp')}</a>
          </p>
          <div className="field">
            <label htmlFor={codeId}>{t('account.code')}</label>
            <input
              id={codeId}
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={code}
              onChange={(event) => setCode(event.target.value)}
            />
          </div>
          {problem && <Alert>{problem}</Alert>}
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={busy || !code.trim()}>
              {t('account.turnOn')}
            </button>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                setEnrolment(undefined);
                setProblem(undefined);
              }}
            >
              {t('common.cancel')}
            </button>
          </div>
        </form>
      ) : (
        <>
          <p className="status-line">{t('account.twoStepIsOff')}</p>
          {problem && <Alert>{problem}</Alert>}
          <div className="actions">
            <button
              type="button"
              className="button button-primary"
              disabled={busy}
              onClick={() => void begin()}
            >
              {t('account.setUpApp')}
            </button>
          </div>
        </>
      )}
    </section>
  );
}

function PasskeySection() {
  const { t } = useTranslation();
  const onError = useApiErrors();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const add = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const { challengeId, options } = await signet().post('/api/v1/auth/passkeys/registration-options');
      const response = await startRegistration({
        optionsJSON: options as Parameters<typeof startRegistration>[0]['optionsJSON'],
      });
      await signet().post('/api/v1/auth/passkeys', {
        body: {
          challengeId,
          response: response as unknown as {
            id: string;
            rawId: string;
            type: 'public-key';
            response: { clientDataJSON: string };
          },
        },
      });
      toast(t('account.passkeyAdded'));
    } catch (error) {
      if (isPasskeyCancelled(error)) {
        setProblem(t('account.passkeyCancelled'));
      } else {
        onError(error);
        setProblem(problemMessage(error, t));
      }
    } finally {
      setBusy(false);
    }
  };
  const supported = passkeysSupported();
  return (
    <section className="card settings-section stack" aria-labelledby="account-passkeys">
      <h2 id="account-passkeys">{t('account.passkeys')}</h2>
      <p>{t('account.passkeysIntro')}</p>
      {!supported && <Alert tone="info">{t('account.passkeysUnsupported')}</Alert>}
      {problem && <Alert>{problem}</Alert>}
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          disabled={busy || !supported}
          onClick={() => void add()}
        >
          {t('account.addPasskey')}
        </button>
      </div>
    </section>
  );
}

function PasswordSection() {
  const { t } = useTranslation();
  const onError = useApiErrors();
  const toast = useToast();
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const currentId = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const wrong = passwordProblem(password, repeat, t);
    if (wrong) {
      setProblem(wrong);
      return;
    }
    setBusy(true);
    setProblem(undefined);
    try {
      await signet().put('/api/v1/auth/password', {
        body: { currentPassword: current, newPassword: password },
      });
      setCurrent('');
      setPassword('');
      setRepeat('');
      toast(t('account.passwordChanged'));
    } catch (error) {
      onError(error);
      setProblem(problemMessage(error, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card settings-section stack" aria-labelledby="account-password">
      <h2 id="account-password">{t('account.password')}</h2>
      <form className="stack" onSubmit={submit}>
        <div className="field">
          <label htmlFor={currentId}>{t('account.currentPassword')}</label>
          <input
            id={currentId}
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(event) => setCurrent(event.target.value)}
          />
        </div>
        <NewPasswordFields
          password={password}
          repeat={repeat}
          onPassword={setPassword}
          onRepeat={setRepeat}
        />
        {problem && <Alert>{problem}</Alert>}
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {t('account.changePassword')}
          </button>
        </div>
      </form>
    </section>
  );
}
