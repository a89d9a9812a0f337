import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { signet } from '../../shared/api.ts';
import { signOut } from '../auth/authApi.ts';
import { problemMessage } from '../lib/problems.ts';
import { useIsAdmin, useMaySend, useMe, useSession } from '../session.tsx';
import { Alert } from '../ui/Alert.tsx';
import { useToast } from '../ui/toasts.tsx';
import { BrandProvider, useBrand } from './brand.tsx';
import { LanguageSwitcher } from './LanguageSwitcher.tsx';

/** The signed-in frame: the organisation, the navigation, the language, the person and signing out. */
export function Shell() {
  return (
    <BrandProvider>
      <Frame />
    </BrandProvider>
  );
}

function Frame() {
  const { t } = useTranslation();
  const me = useMe();
  const { signedOut } = useSession();
  const navigate = useNavigate();
  const toast = useToast();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const maySend = useMaySend();
  const isAdmin = useIsAdmin();
  const { brand } = useBrand();

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

  // Users and Settings only for those who administer the organisation (the API refuses others
  // too); API keys for everyone: a sender or viewer sees and makes their own.
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
    ...(isAdmin ? [{ to: '/app/users', label: t('nav.users'), current: path.startsWith('/app/users') }] : []),
    { to: '/app/api-keys', label: t('nav.apiKeys'), current: path.startsWith('/app/api-keys') },
    ...(isAdmin
      ? [{ to: '/app/settings', label: t('nav.settings'), current: path.startsWith('/app/settings') }]
      : []),
  ];

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('shell.skip')}
      </a>
      <header className="shell-header">
        <div className="shell-bar">
          <span className="brand">
            {brand?.logoUrl && <img className="brand-logo" src={brand.logoUrl} alt="" />}
            <span className="brand-name">
              {brand?.productName ?? me.organization?.name ?? t('productName')}
            </span>
          </span>
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
            {/* Every role has its own account page (two-step sign-in, passkeys, password); who is
                signed in shows as the link's tooltip, so the bar fits at 1280 px. */}
            <Link
              to="/app/account"
              title={`${me.name ?? ''} <${me.email}>`}
              aria-current={path === '/app/account' ? 'page' : undefined}
            >
              {t('shell.account')}
            </Link>
            <button type="button" className="button button-quiet" onClick={leave}>
              {t('shell.signOut')}
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="shell-main" tabIndex={-1}>
        {me.role === 'owner' && <NamePrompt />}
        <Outlet />
      </main>
    </div>
  );
}

/**
 * The first start's organisation has a placeholder name (nameConfirmed false): its owner is asked
 * to name it, since signers and mail show it, until they do.
 */
function NamePrompt() {
  const { t } = useTranslation();
  const location = useLocation();
  const [unnamed, setUnnamed] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: asked again after each navigation (the settings page may have named it)
  useEffect(() => {
    let current = true;
    signet()
      .get('/api/v1/organization')
      .then((organization) => {
        if (current) setUnnamed(!organization.nameConfirmed);
      })
      .catch(() => {});
    return () => {
      current = false;
    };
  }, [location.pathname]);
  if (!unnamed || location.pathname.startsWith('/app/settings')) return null;
  return (
    <div className="page name-prompt">
      <Alert tone="info">
        {t('shell.nameOrganization')}{' '}
        <Link to="/app/settings#organization-name">{t('shell.nameOrganizationLink')}</Link>
      </Alert>
    </div>
  );
}
