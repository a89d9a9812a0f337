import type { TFunction } from 'i18next';
import type { Draft } from './model.ts';

/**
 * A JSON pointer from the API's `errors` (`/recipients/1/email`, `/fields/3`) in the sender's
 * words ("Recipient 2 (Bob Baker), email"), so a refusal points at what to change.
 */
export function describeProblemPath(path: string, draft: Draft, t: TFunction): string {
  const [section, index, ...rest] = path.split('/').slice(1);
  const number = Number(index);
  const tail = rest.length > 0 ? `, ${rest.join(' ')}` : '';
  if (section === 'recipients' && Number.isInteger(number)) {
    const recipient = draft.recipients[number];
    const who = recipient?.name.trim() || recipient?.email.trim();
    return `${t('compose.recipients.number', { number: number + 1 })}${who ? ` (${who})` : ''}${tail}`;
  }
  if (section === 'fields' && Number.isInteger(number)) {
    return `${t('compose.problems.fieldNumber', { number: number + 1 })}${tail}`;
  }
  if (section === 'title') return t('compose.documents.title');
  if (section === 'message') return t('compose.documents.message');
  return path || t('compose.problems.envelope');
}
