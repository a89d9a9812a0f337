import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useTitle } from '../lib/useTitle.ts';
import { LanguageSwitcher } from '../shell/LanguageSwitcher.tsx';

/** The frame of the pages before sign-in: the product name, one card, the language switcher. */
export function AuthLayout({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  useTitle(title);
  return (
    <div className="auth-page">
      <header className="auth-header">
        <span className="brand-name">{t('productName')}</span>
        <LanguageSwitcher />
      </header>
      <main className="auth-card" aria-labelledby="auth-title">
        <h1 id="auth-title">{title}</h1>
        {children}
      </main>
    </div>
  );
}
