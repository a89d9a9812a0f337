import type { Answer } from '@signet/sdk';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import { CSRF_COOKIE, readCookie, signet } from '../shared/api.ts';
import { isSignedOut } from './lib/problems.ts';

/*
 * Who is signed in, from GET /api/v1/auth/me (the session cookie says; the script never sees
 * the session itself). The accounts work adds `organization: { id, name }` to that answer;
 * until the generated types have it, it is read as optional.
 */

export type Me = Answer<'/api/v1/auth/me', 'get'> & { organization?: { id: string; name: string } };

type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out' }
  | { status: 'error'; error: unknown }
  | { status: 'signed-in'; me: Me };

interface SessionContext {
  state: SessionState;
  /** Asks the server again who is signed in (after signing in, or to find a session has ended). */
  refresh(): Promise<SessionState>;
  /** Forgets the person at once: after signing out, or when an answer said the session ended. */
  signedOut(): void;
}

const Context = createContext<SessionContext | undefined>(undefined);

async function whoIsSignedIn(): Promise<SessionState> {
  try {
    return { status: 'signed-in', me: (await signet().get('/api/v1/auth/me')) as Me };
  } catch (error) {
    if (isSignedOut(error)) return { status: 'signed-out' };
    return { status: 'error', error };
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const refresh = useCallback(async () => {
    const next = await whoIsSignedIn();
    setState(next);
    return next;
  }, []);
  const signedOut = useCallback(() => setState({ status: 'signed-out' }), []);
  useEffect(() => {
    // The CSRF cookie comes and goes with the session cookie: without it nobody is signed in
    // here, and the page need not ask (a 401 would only add noise to the console).
    if (readCookie(CSRF_COOKIE) === undefined) setState({ status: 'signed-out' });
    else void refresh();
  }, [refresh]);
  const value = useMemo(() => ({ state, refresh, signedOut }), [state, refresh, signedOut]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useSession(): SessionContext {
  const context = useContext(Context);
  if (!context) throw new Error('useSession outside SessionProvider');
  return context;
}

/** The signed-in person; only inside <RequireSession>. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe outside a signed-in page');
  return state.me;
}

/** Renders its children for a signed-in person; sends anyone else to /login and back here after. */
export function RequireSession({ children, fallback }: { children: ReactNode; fallback: ReactNode }) {
  const { state } = useSession();
  const location = useLocation();
  if (state.status === 'loading' || state.status === 'error') return fallback;
  if (state.status === 'signed-out') {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return children;
}

/** Roles that may create, send, remind and void (src/orgs/signIn.ts ROLE_SCOPES: envelopes:write). */
const WRITERS = new Set(['owner', 'admin', 'sender']);

/** Whether the signed-in person may change envelopes; a viewer only reads (the API refuses them too). */
export const useMaySend = () => WRITERS.has(useMe().role);

/** Where to go after signing in: only a path inside the workspace, never another site. */
export function safeNext(next: string | null): string {
  return next?.startsWith('/app') && !next.startsWith('//') ? next : '/app';
}

/** Roles that administer the organisation: users, settings, every API key (organization:admin). */
const ADMINS = new Set(['owner', 'admin']);

/** Whether the signed-in person may manage users and settings; the API refuses anyone else too. */
export const useIsAdmin = () => ADMINS.has(useMe().role);
