import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

/** The tab's title: the page, then the product (screen readers announce it on navigation). */
export function useTitle(page: string | undefined) {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = page ? `${page} · ${t('productName')}` : t('productName');
  }, [page, t]);
}
