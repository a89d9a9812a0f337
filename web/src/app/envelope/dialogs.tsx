import * as Dialog from '@radix-ui/react-dialog';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';

/** Void with a reason (told to every invited recipient), in a Radix dialog: focus trapped, Escape closes. */
export function VoidDialog({ busy, onVoid }: { busy: boolean; onVoid(reason: string): Promise<void> }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const reasonId = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!reason.trim()) return;
    await onVoid(reason.trim());
    setOpen(false);
    setReason('');
  };
  return (
    <Dialog.Root open={open} onOpenChange={setOpen}>
      <Dialog.Trigger asChild>
        <button type="button" className="button button-danger-outline">
          {t('envelope.void')}
        </button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog">
          <Dialog.Title>{t('envelope.voidTitle')}</Dialog.Title>
          <Dialog.Description>{t('envelope.voidDescription')}</Dialog.Description>
          <form className="stack" onSubmit={submit}>
            <div className="field">
              <label htmlFor={reasonId}>{t('envelope.voidReason')}</label>
              <textarea
                id={reasonId}
                required
                rows={3}
                maxLength={1000}
                value={reason}
                onChange={(event) => setReason(event.target.value)}
              />
            </div>
            <div className="dialog-actions">
              <Dialog.Close asChild>
                <button type="button" className="button button-secondary">
                  {t('common.cancel')}
                </button>
              </Dialog.Close>
              <button type="submit" className="button button-danger" disabled={busy || !reason.trim()}>
                {busy ? t('envelope.voiding') : t('envelope.voidConfirm')}
              </button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

export function ConfirmDelete({
  busy,
  title,
  onDelete,
}: {
  busy: boolean;
  title: string;
  onDelete(): Promise<void>;
}) {
  const { t } = useTranslation();
  return (
    <Dialog.Root>
      <Dialog.Trigger asChild>
        <button type="button" className="button button-quiet">
          {t('envelope.delete')}
        </button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog">
          <Dialog.Title>{t('envelope.deleteTitle')}</Dialog.Title>
          <Dialog.Description>{t('envelope.deleteDescription', { title })}</Dialog.Description>
          <div className="dialog-actions">
            <Dialog.Close asChild>
              <button type="button" className="button button-secondary">
                {t('common.cancel')}
              </button>
            </Dialog.Close>
            <button
              type="button"
              className="button button-danger"
              disabled={busy}
              onClick={() => void onDelete()}
            >
              {t('envelope.deleteConfirm')}
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
