import * as Toast from '@radix-ui/react-toast';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';

/** Short confirmations ("Reminder sent") in Radix toasts: announced politely, dismissable, keyboard-reachable (F8). */

type Tone = 'success' | 'error';
interface Note {
  id: number;
  message: string;
  tone: Tone;
}

const Context = createContext<((message: string, tone?: Tone) => void) | undefined>(undefined);

export function Toasts({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const [notes, setNotes] = useState<Note[]>([]);
  const show = useCallback((message: string, tone: Tone = 'success') => {
    setNotes((current) => [...current, { id: Date.now() + Math.random(), message, tone }]);
  }, []);
  const value = useMemo(() => show, [show]);
  return (
    <Context.Provider value={value}>
      <Toast.Provider swipeDirection="right" label={t('toasts.each')}>
        {children}
        {notes.map((note) => (
          <Toast.Root
            key={note.id}
            className={`toast toast-${note.tone}`}
            type={note.tone === 'error' ? 'foreground' : 'background'}
            onOpenChange={(open) => {
              if (!open) setNotes((current) => current.filter((other) => other.id !== note.id));
            }}
          >
            <Toast.Description>{note.message}</Toast.Description>
            <Toast.Close className="toast-close" aria-label={t('toasts.close')}>
              ×
            </Toast.Close>
          </Toast.Root>
        ))}
        <Toast.Viewport className="toast-viewport" label={t('toasts.label')} />
      </Toast.Provider>
    </Context.Provider>
  );
}

export function useToast() {
  const toast = useContext(Context);
  if (!toast) throw new Error('useToast outside <Toasts>');
  return toast;
}
