import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';

/** The server's rule for a new password (MIN_PASSWORD_LENGTH in src/orgs/signIn.ts); it checks again. */
export const MIN_PASSWORD_LENGTH = 12;

export function passwordProblem(password: string, repeat: string, t: TFunction): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return t('password.tooShort', { count: MIN_PASSWORD_LENGTH });
  if (password !== repeat) return t('password.mismatch');
  return undefined;
}

export function NewPasswordFields(props: {
  password: string;
  repeat: string;
  onPassword(value: string): void;
  onRepeat(value: string): void;
}) {
  const { t } = useTranslation();
  return (
    <>
      <div className="field">
        <label htmlFor="new-password">{t('password.new')}</label>
        <input
          id="new-password"
          type="password"
          autoComplete="new-password"
          required
          minLength={MIN_PASSWORD_LENGTH}
          aria-describedby="new-password-hint"
          value={props.password}
          onChange={(event) => props.onPassword(event.target.value)}
        />
        <p id="new-password-hint" className="hint">
          {t('password.hint', { count: MIN_PASSWORD_LENGTH })}
        </p>
      </div>
      <div className="field">
        <label htmlFor="repeat-password">{t('password.repeat')}</label>
        <input
          id="repeat-password"
          type="password"
          autoComplete="new-password"
          required
          value={props.repeat}
          onChange={(event) => props.onRepeat(event.target.value)}
        />
      </div>
    </>
  );
}
