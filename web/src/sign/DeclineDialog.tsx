import * as Dialog from '@radix-ui/react-dialog';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useReturnFocus } from './returnFocus.ts';

/** Declining, with the reason the sender and the other recipients will read (SPEC §B). */
export function DeclineDialog({
  open,
  onOpenChange,
  onDecline,
}: {
  open: boolean;
  onOpenChange(open: boolean): void;
  /** Resolves to a message to show when declining failed. */
  onDecline(reason: string): Promise<string | null>;
}) {
  const { t } = useTranslation();
  const returnFocus = useReturnFocus(open);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { reason: useId(), hint: useId() };

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!reason.trim()) return setProblem(t('decline.reasonMissing'));
    setBusy(true);
    const failed = await onDecline(reason.trim());
    setBusy(false);
    setProblem(failed);
  }

  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog" aria-describedby={ids.hint} onCloseAutoFocus={returnFocus}>
          <Dialog.Title>{t('decline.title')}</Dialog.Title>
          <form onSubmit={(event) => void submit(event)} noValidate>
            <p id={ids.hint}>{t('decline.hint')}</p>
            <label htmlFor={ids.reason}>{t('decline.reason')}</label>
            <textarea
              id={ids.reason}
              rows={4}
              maxLength={2000}
              required
              aria-invalid={problem ? true : undefined}
              value={reason}
              onChange={(event) => {
                setReason(event.target.value);
                setProblem(null);
              }}
            />
            {problem ? (
              <p className="notice error" role="alert">
                {problem}
              </p>
            ) : null}
            <div className="dialog-actions">
              <Dialog.Close asChild>
                <button type="button" className="secondary">
                  {t('action.cancel')}
                </button>
              </Dialog.Close>
              <button type="submit" className="danger" disabled={busy}>
                {t('decline.confirm')}
              </button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
