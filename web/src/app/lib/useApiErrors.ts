import { useCallback } from 'react';
import { useSession } from '../session.tsx';
import { isSignedOut } from './problems.ts';

/**
 * For every failed request of a signed-in page: an answer that says the session has ended
 * sends the person to sign in again (RequireSession does, once the session is forgotten).
 */
export function useApiErrors() {
  const { signedOut } = useSession();
  return useCallback(
    (error: unknown) => {
      if (isSignedOut(error)) signedOut();
    },
    [signedOut],
  );
}
