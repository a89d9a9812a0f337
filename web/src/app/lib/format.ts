import { useTranslation } from 'react-i18next';

/** Dates and times in the person's language (Intl), never a hand-made format. */
export function useFormat() {
  const { i18n } = useTranslation();
  const locale = i18n.language;
  const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const time = new Intl.DateTimeFormat(locale, { timeStyle: 'short' });
  const day = new Intl.DateTimeFormat(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
  const number = new Intl.NumberFormat(locale);
  return {
    date: (iso: string) => date.format(new Date(iso)),
    dateTime: (iso: string) => dateTime.format(new Date(iso)),
    time: (iso: string) => time.format(new Date(iso)),
    day: (iso: string) => day.format(new Date(iso)),
    number: (value: number) => number.format(value),
    bytes: (value: number) =>
      value < 1024 * 1024
        ? `${number.format(Math.max(1, Math.round(value / 1024)))} kB`
        : `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(value / 1024 / 1024)} MB`,
  };
}
