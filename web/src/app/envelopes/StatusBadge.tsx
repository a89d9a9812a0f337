import type { EnvelopeSummary } from '@signet/sdk';
import { useTranslation } from 'react-i18next';

export function StatusBadge({ status }: { status: EnvelopeSummary['status'] }) {
  const { t } = useTranslation();
  return <span className={`badge badge-${status}`}>{t(`status.${status}`)}</span>;
}
