import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Link, Navigate, Route, Routes } from 'react-router';
import { AccountPage } from './account/AccountPage.tsx';
import { ApiKeysPage } from './admin/ApiKeysPage.tsx';
import { SettingsPage } from './admin/SettingsPage.tsx';
import { UsersPage } from './admin/UsersPage.tsx';
import { AcceptInvite } from './auth/AcceptInvite.tsx';
import { ResetPassword } from './auth/ResetPassword.tsx';
import { SignIn } from './auth/SignIn.tsx';
import { NewEnvelope } from './compose/NewEnvelope.tsx';
import { EnvelopePage } from './envelope/EnvelopePage.tsx';
import { EnvelopeList } from './envelopes/EnvelopeList.tsx';
import { problemMessage } from './lib/problems.ts';
import { useTitle } from './lib/useTitle.ts';
import { RequireSession, SessionProvider, useIsAdmin, useSession } from './session.tsx';
import { Shell } from './shell/Shell.tsx';
import { Alert, Spinner } from './ui/Alert.tsx';
import { Toasts } from './ui/toasts.tsx';

/** The sender workspace's routes; pages live beside this file, one folder per area. */
export function App() {
  return (
    <BrowserRouter>
      <SessionProvider>
        <Toasts>
          <Routes>
            <Route path="/" element={<Navigate to="/app" replace />} />
            <Route path="/login" element={<SignIn />} />
            <Route path="/app/reset-password" element={<ResetPassword />} />
            <Route path="/app/accept-invite" element={<AcceptInvite />} />
            <Route
              path="/app"
              element={
                <RequireSession fallback={<SessionPending />}>
                  <Shell />
                </RequireSession>
              }
            >
              <Route index element={<Navigate to="/app/envelopes" replace />} />
              <Route path="envelopes" element={<EnvelopeList />} />
              <Route path="envelopes/new" element={<NewEnvelope />} />
              <Route path="envelopes/:id" element={<EnvelopePage />} />
              <Route
                path="users"
                element={
                  <AdminOnly>
                    <UsersPage />
                  </AdminOnly>
                }
              />
              <Route path="api-keys" element={<ApiKeysPage />} />
              <Route path="account" element={<AccountPage />} />
              <Route
                path="settings"
                element={
                  <AdminOnly>
                    <SettingsPage />
                  </AdminOnly>
                }
              />
              <Route path="*" element={<NotFound />} />
            </Route>
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Toasts>
      </SessionProvider>
    </BrowserRouter>
  );
}

/** While the server is asked who is signed in; or why it could not say. */
function SessionPending() {
  const { t } = useTranslation();
  const { state, refresh } = useSession();
  if (state.status === 'error') {
    return (
      <main className="centered">
        <Alert>{problemMessage(state.error, t)}</Alert>
        <button type="button" className="button button-primary" onClick={() => void refresh()}>
          {t('common.retry')}
        </button>
      </main>
    );
  }
  return (
    <main className="centered">
      <Spinner label={t('common.loading')} />
    </main>
  );
}

/** Pages for owners and admins: anyone else is told so, and nothing is asked of the API. */
function AdminOnly({ children }: { children: ReactNode }) {
  return useIsAdmin() ? children : <Refusal />;
}

function Refusal() {
  const { t } = useTranslation();
  useTitle(t('forbidden.title'));
  return (
    <div className="page centered">
      <h1>{t('forbidden.title')}</h1>
      <p>{t('forbidden.body')}</p>
      <Link className="button button-primary" to="/app/envelopes">
        {t('notFound.back')}
      </Link>
    </div>
  );
}

function NotFound() {
  const { t } = useTranslation();
  useTitle(t('notFound.title'));
  return (
    <div className="page centered">
      <h1>{t('notFound.title')}</h1>
      <p>{t('notFound.body')}</p>
      <Link className="button button-primary" to="/app/envelopes">
        {t('notFound.back')}
      </Link>
    </div>
  );
}
