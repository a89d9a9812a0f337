import { useTranslation } from 'react-i18next';

/** The signing ceremony at /sign/{token}: one page, its steps driven by the signing session. */
export function Ceremony() {
  const { t } = useTranslation();
  return (
    <main>
      <h1>{t('title')}</h1>
    </main>
  );
}
