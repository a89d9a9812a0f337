import { useRef } from 'react';

/**
 * Where the focus goes when a dialog closes: back to the control that opened it (WCAG 2.4.3).
 * Radix sends it to the dialog's Trigger, and these dialogs open from fields and buttons that
 * are not one, so the opener is remembered as the dialog opens (during that render the focus
 * has not moved into the dialog yet).
 */
export function useReturnFocus(open: boolean): (event: Event) => void {
  const opener = useRef<HTMLElement | null>(null);
  if (open && !opener.current && document.activeElement instanceof HTMLElement) {
    opener.current = document.activeElement;
  }
  return (event: Event) => {
    const target = opener.current;
    opener.current = null;
    if (target?.isConnected) {
      event.preventDefault();
      target.focus();
    }
  };
}
