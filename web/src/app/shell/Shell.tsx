import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { signOut } from '../auth/authApi.ts';
import { problemMessage } from '../lib/problems.ts';
import { useMaySend, useMe, useSession } from '../session.tsx';
import { useToast } from '../ui/toasts.tsx';
import { LanguageSwitcher } from './LanguageSwitcher.tsx';

/** The signed-in frame: the organisation, the navigation, the language, the person and signing out. */
export function Shell() {
  const { t } = useTranslation();
  const me = useMe();
  const { signedOut } = useSession();
  const navigate = useNavigate();
  const toast = useToast();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const maySend = useMaySend();

  // A phone's menu closes once a link in it was followed.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each navigation
  useEffect(() => setMenuOpen(false), [location.pathname]);

  const leave = async () => {
    try {
      await signOut();
      signedOut();
      navigate('/login?notice=signed-out', { replace: true });
    } catch (error) {
      toast(problemMessage(error, t), 'error');
    }
  };

  // The lead adds Users, API keys and Settings here as those pages land.
  const path = location.pathname;
  const links = [
    {
      to: '/app/envelopes',
      label: t('nav.envelopes'),
      current: path.startsWith('/app/envelopes') && path !== '/app/envelopes/new',
    },
    ...(maySend
      ? [{ to: '/app/envelopes/new', label: t('nav.newEnvelope'), current: path === '/app/envelopes/new' }]
      : []),
  ];

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('shell.skip')}
      </a>
      <header className="shell-header">
        <div className="shell-bar">
          <span className="brand-name">{me.organization?.name ?? t('productName')}</span>
          <button
            type="button"
            className="menu-button"
            aria-expanded={menuOpen}
            aria-controls="shell-menu"
            onClick={() => setMenuOpen(!menuOpen)}
          >
            {t('shell.menu')}
          </button>
        </div>
        <div id="shell-menu" className={`shell-menu${menuOpen ? ' open' : ''}`}>
          <nav aria-label={t('shell.navigation')}>
            <ul>
              {links.map((link) => (
                <li key={link.to}>
                  <Link to={link.to} aria-current={link.current ? 'page' : undefined}>
                    {link.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="shell-tools">
            <LanguageSwitcher />
            <span className="shell-user" title={me.email}>
              {me.name ?? me.email}
            </span>
            <button type="button" className="button button-quiet" onClick={leave}>
              {t('shell.signOut')}
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="shell-main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
