import * as Dialog from '@radix-ui/react-dialog';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * A button that asks first (Radix alert-style dialog: focus trapped, Escape cancels). The dialog
 * stays open while the work runs and closes once it succeeded; a failure is the caller's to show.
 */
export function Confirm({
  label,
  title,
  description,
  confirm,
  danger = false,
  triggerClassName = 'button button-secondary button-small',
  onConfirm,
}: {
  label: ReactNode;
  title: string;
  description: ReactNode;
  confirm: string;
  danger?: boolean;
  triggerClassName?: string;
  onConfirm(): Promise<boolean>;
}) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      if (await onConfirm()) setOpen(false);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog.Root open={open} onOpenChange={setOpen}>
      <Dialog.Trigger asChild>
        <button type="button" className={triggerClassName}>
          {label}
        </button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog">
          <Dialog.Title>{title}</Dialog.Title>
          <Dialog.Description>{description}</Dialog.Description>
          <div className="dialog-actions">
            <Dialog.Close asChild>
              <button type="button" className="button button-secondary">
                {t('common.cancel')}
              </button>
            </Dialog.Close>
            <button
              type="button"
              className={`button ${danger ? 'button-danger' : 'button-primary'}`}
              disabled={busy}
              onClick={() => void run()}
            >
              {confirm}
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
