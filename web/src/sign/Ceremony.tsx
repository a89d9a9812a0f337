import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { changeLanguage, detectLanguage, LANGUAGES, type Language } from '../shared/i18n.ts';
import { isFramed, notifyParent } from './embedding.ts';
import { IdentityStep } from './IdentityStep.tsx';
import { Review } from './Review.tsx';
import { useSaved } from './saved.ts';
import { type Problem, problemOf, type SigningSession, signerApi, signerUrls } from './signerApi.ts';

/*
 * The signing ceremony at /sign/{token} (SPEC §B): the link's session decides the step —
 * identity checks, consent, the documents with their fields, or the end (done, declined, or a
 * link that can no longer be used), each with a way forward. The signer API answers every
 * step; this page only shows it.
 */

type Screen =
  | 'identity'
  | 'consent'
  | 'review'
  | 'done'
  | 'declinedByYou'
  | 'declined'
  | 'voided'
  | 'expired'
  | 'notYourTurn'
  | 'copyOnly'
  | 'notSent';

export function screenOf(session: SigningSession): Screen {
  const { envelope, recipient } = session;
  if (recipient.status === 'completed') return 'done';
  if (recipient.status === 'declined') return 'declinedByYou';
  if (envelope.status === 'completed') return 'done';
  if (envelope.status === 'declined') return 'declined';
  if (envelope.status === 'voided') return 'voided';
  if (envelope.status === 'expired') return 'expired';
  if (envelope.status === 'draft') return 'notSent';
  if (recipient.role === 'cc') return 'copyOnly';
  if (recipient.status === 'created') return 'notYourTurn';
  if (!session.identityVerified) return 'identity';
  if (!recipient.consentedAt) return 'consent';
  return 'review';
}

type State =
  | { kind: 'loading' }
  | { kind: 'problem'; problem: Problem }
  | { kind: 'session'; session: SigningSession };

export function Ceremony({ token }: { token: string }) {
  const { t } = useTranslation();
  const [state, setState] = useState<State>({ kind: 'loading' });
  const announcedLoad = useRef(false);

  const load = useCallback(async () => {
    try {
      const session = await signerApi.open(token);
      setState({ kind: 'session', session });
      if (!announcedLoad.current) {
        announcedLoad.current = true;
        notifyParent('signet:loaded', {
          envelopeId: session.envelope.id,
          recipientId: session.recipient.id,
          step: screenOf(session),
        });
      }
    } catch (error) {
      const problem = problemOf(error);
      setState({ kind: 'problem', problem });
      notifyParent('signet:error', { code: problem.code });
    }
  }, [token]);

  useEffect(() => {
    void load();
  }, [load]);

  const showSession = useCallback((session: SigningSession) => setState({ kind: 'session', session }), []);
  const describeProblem = useCallback(
    (code: string, detail: string) => t(`errors.${code}`, { defaultValue: detail }),
    [t],
  );

  if (state.kind === 'loading') {
    return (
      <Shell>
        <p role="status" className="loading">
          {t('loading')}
        </p>
      </Shell>
    );
  }
  if (state.kind === 'problem') {
    return (
      <Shell>
        <LinkProblem problem={state.problem} onRetry={() => void load()} />
      </Shell>
    );
  }
  return (
    <SessionView
      token={token}
      session={state.session}
      onSession={showSession}
      reload={load}
      describeProblem={describeProblem}
    />
  );
}

function SessionView({
  token,
  session,
  onSession,
  reload,
  describeProblem,
}: {
  token: string;
  session: SigningSession;
  onSession(session: SigningSession): void;
  reload(): Promise<void>;
  describeProblem(code: string, detail: string): string;
}) {
  const [saved, update] = useSaved(token);
  const screen = screenOf(session);
  const organization = session.envelope.organizationName;

  let body: ReactNode;
  if (screen === 'identity') {
    body = (
      <IdentityStep token={token} session={session} onChanged={reload} describeProblem={describeProblem} />
    );
  } else if (screen === 'consent') {
    body = (
      <ConsentStep
        token={token}
        session={session}
        checked={saved.consentChecked}
        onChecked={(consentChecked) => update((s) => ({ ...s, consentChecked }))}
        onSession={onSession}
        describeProblem={describeProblem}
      />
    );
  } else if (screen === 'review') {
    body = (
      <Review
        token={token}
        session={session}
        saved={saved}
        update={update}
        onSession={onSession}
        describeProblem={describeProblem}
      />
    );
  } else if (screen === 'done') {
    body = <DonePage token={token} session={session} onSession={onSession} />;
  } else {
    body = <Closed reason={screen} organization={organization} />;
  }

  return (
    <Shell organization={organization} brand={session.brand} title={session.envelope.title} screen={screen}>
      {body}
    </Shell>
  );
}

/** The frame every screen shares: who asks, the language switcher, the screen's heading. */
function Shell({
  organization,
  title,
  screen,
  children,
  brand,
}: {
  organization?: string;
  brand?: SigningSession['brand'];
  title?: string;
  screen?: Screen;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  // White label: the organisation's colour drives buttons and focus rings (--brand in base.css).
  useEffect(() => {
    if (brand) document.documentElement.style.setProperty('--brand', brand.primaryColor);
  }, [brand]);
  const heading = useRef<HTMLHeadingElement>(null);
  const firstScreen = useRef(screen);
  // Each new step is announced by moving focus to its heading (WCAG 2.4.3); the first one is
  // where the page starts anyway.
  useEffect(() => {
    if (screen && screen !== firstScreen.current) {
      firstScreen.current = undefined;
      heading.current?.focus();
    }
  }, [screen]);
  useEffect(() => {
    document.title = title ? `${title} · ${organization ?? ''}` : t('pageTitle');
  }, [title, organization, t]);
  return (
    <div className={`ceremony${isFramed() ? ' framed' : ''}`}>
      <header className="topbar">
        {brand ? (
          brand.logoUrl ? (
            <img className="brand-logo" src={brand.logoUrl} alt={brand.productName} />
          ) : (
            <span className="brand-name">{brand.productName}</span>
          )
        ) : null}
        {/* "From Acme" says who sends when the brand is another name (a product's); beside its
            own name it would only repeat it. */}
        <p className="from">
          {organization && organization !== brand?.productName ? t('from', { organization }) : ''}
        </p>
        <LanguageSwitcher />
      </header>
      <main id="main">
        {title ? (
          <h1 ref={heading} tabIndex={-1} className="title">
            {title}
          </h1>
        ) : null}
        {children}
      </main>
    </div>
  );
}

function LanguageSwitcher() {
  const { t, i18n } = useTranslation();
  return (
    <label className="language">
      <span className="visually-hidden">{t('language')}</span>
      <select
        value={(i18n.resolvedLanguage as Language | undefined) ?? detectLanguage()}
        onChange={(event) => void changeLanguage(event.target.value as Language)}
      >
        {Object.entries(LANGUAGES).map(([code, name]) => (
          <option key={code} value={code} lang={code}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}

function ConsentStep({
  token,
  session,
  checked,
  onChecked,
  onSession,
  describeProblem,
}: {
  token: string;
  session: SigningSession;
  checked: boolean;
  onChecked(checked: boolean): void;
  onSession(session: SigningSession): void;
  describeProblem(code: string, detail: string): string;
}) {
  const { t } = useTranslation();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function agree(event: React.FormEvent) {
    event.preventDefault();
    if (!checked) return setProblem(t('consent.required'));
    setBusy(true);
    setProblem(null);
    try {
      onSession(await signerApi.consent(token));
    } catch (error) {
      const { code, detail } = problemOf(error);
      setProblem(describeProblem(code, detail));
    } finally {
      setBusy(false);
    }
  }

  const { recipient, envelope } = session;
  const documents = session.documents.length;
  return (
    <section className="card" aria-labelledby="consent-title">
      <p>
        {t(`consent.asked.${recipient.role}`, {
          name: recipient.name,
          organization: envelope.organizationName,
          count: documents,
        })}
      </p>
      {envelope.message ? (
        <blockquote className="message">
          <p className="muted small">{t('review.messageFrom')}</p>
          <p>{envelope.message}</p>
        </blockquote>
      ) : null}
      <h2 id="consent-title">{t('consent.title')}</h2>
      <form onSubmit={(event) => void agree(event)} noValidate>
        <div className="consent">
          <input
            id="consent-box"
            type="checkbox"
            checked={checked}
            aria-invalid={problem && !checked ? true : undefined}
            onChange={(event) => onChecked(event.target.checked)}
          />
          <label htmlFor="consent-box">{session.consent.text}</label>
        </div>
        {problem ? (
          <p className="notice error" role="alert">
            {problem}
          </p>
        ) : null}
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            {t('consent.continue')}
          </button>
        </div>
      </form>
    </section>
  );
}

function DonePage({
  token,
  session,
  onSession,
}: {
  token: string;
  session: SigningSession;
  onSession(session: SigningSession): void;
}) {
  const { t } = useTranslation();
  const { envelope, recipient, actions, link } = session;
  const sealing = envelope.status === 'completed' && !actions.canDownloadCompleted;

  // The sealed copy follows the last finish within seconds: look again until it is there.
  useEffect(() => {
    if (!sealing) return;
    let tries = 0;
    const timer = window.setInterval(() => {
      tries++;
      signerApi.open(token).then(onSession, () => {});
      if (tries >= 30) window.clearInterval(timer);
    }, 2000);
    return () => window.clearInterval(timer);
  }, [sealing, token, onSession]);

  const verb =
    recipient.role === 'signer' ? 'signed' : recipient.role === 'approver' ? 'approved' : 'acknowledged';
  const returnHost = link.returnUrl ? hostOf(link.returnUrl) : null;
  return (
    <section className="card done" aria-labelledby="done-title">
      <h2 id="done-title">{recipient.status === 'completed' ? t(`done.${verb}`) : t('done.completed')}</h2>
      {envelope.status === 'completed' ? (
        actions.canDownloadCompleted ? (
          <p>{t('done.ready')}</p>
        ) : (
          <p role="status">{t('done.sealing')}</p>
        )
      ) : (
        <p>{t('done.waiting')}</p>
      )}
      <div className="row">
        {actions.canDownloadCompleted ? (
          <a className="button primary" href={signerUrls.download(token)} download={`${envelope.title}.pdf`}>
            {t('done.download')}
          </a>
        ) : null}
        {link.returnUrl ? (
          <a className="button secondary" href={link.returnUrl} target="_top" rel="noopener">
            {t('done.returnTo', { host: returnHost })}
          </a>
        ) : null}
      </div>
      <p className="muted small">{t('done.copyByMail', { email: recipient.email })}</p>
    </section>
  );
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/** The ends a link can come to other than done: what happened, and what the signer can do now. */
function Closed({
  reason,
  organization,
}: {
  reason: Exclude<Screen, 'identity' | 'consent' | 'review' | 'done'>;
  organization: string;
}) {
  const { t } = useTranslation();
  return (
    <section className="card closed" aria-labelledby="closed-title">
      <h2 id="closed-title">{t(`closed.${reason}.title`)}</h2>
      <p>{t(`closed.${reason}.text`, { organization })}</p>
      <p className="next">{t(`closed.${reason}.next`, { organization })}</p>
    </section>
  );
}

/** A link the API refused before any session: unknown, expired, withdrawn, or a network failure. */
function LinkProblem({ problem, onRetry }: { problem: Problem; onRetry(): void }) {
  const { t } = useTranslation();
  const known = ['SIGNING_LINK_INVALID', 'SIGNING_LINK_EXPIRED', 'SIGNING_LINK_REVOKED', 'RATE_LIMITED'];
  const kind = known.includes(problem.code) ? problem.code : 'OTHER';
  const retry = kind === 'RATE_LIMITED' || kind === 'OTHER';
  return (
    <section className="card closed" aria-labelledby="problem-title">
      <h1 id="problem-title" className="title">
        {t(`linkProblem.${kind}.title`)}
      </h1>
      <p>{t(`linkProblem.${kind}.text`)}</p>
      <p className="next">{t(`linkProblem.${kind}.next`)}</p>
      {retry ? (
        <button type="button" className="primary" onClick={onRetry}>
          {t('action.retry')}
        </button>
      ) : null}
      <p className="muted small">{t('linkProblem.reference', { code: problem.code })}</p>
    </section>
  );
}
