import * as Tabs from '@radix-ui/react-tabs';
import type { EnvelopeSummary } from '@signet/sdk';
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { signet } from '../../shared/api.ts';
import { useFormat } from '../lib/format.ts';
import { problemMessage } from '../lib/problems.ts';
import { useApiErrors } from '../lib/useApiErrors.ts';
import { useTitle } from '../lib/useTitle.ts';
import { useMaySend } from '../session.tsx';
import { Alert, Spinner } from '../ui/Alert.tsx';
import { StatusBadge } from './StatusBadge.tsx';

/*
 * /app/envelopes: the organisation's envelopes, newest first, by status (tabs), searched by
 * title or a recipient's name or email (GET /api/v1/envelopes?q=), a page at a time
 * (nextCursor). Status and search live in the URL, so a filtered list can be bookmarked.
 */

const FILTERS = ['all', 'draft', 'sent', 'completed', 'declined', 'voided', 'expired'] as const;
type Filter = (typeof FILTERS)[number];
const PAGE_SIZE = 20;
const SEARCH_DELAY_MS = 300;

export function EnvelopeList() {
  const { t } = useTranslation();
  useTitle(t('list.title'));
  const [params, setParams] = useSearchParams();
  const status = (FILTERS as readonly string[]).includes(params.get('status') ?? '')
    ? (params.get('status') as Filter)
    : 'all';
  const q = params.get('q') ?? '';
  const [typed, setTyped] = useState(q);
  const searchId = useId();
  const maySend = useMaySend();

  // The search follows the typing after a short pause, so each key is not a request.
  useEffect(() => {
    if (typed.trim() === q) return;
    const timer = setTimeout(() => {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          if (typed.trim()) next.set('q', typed.trim());
          else next.delete('q');
          return next;
        },
        { replace: true },
      );
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed, q, setParams]);

  const choose = (value: string) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (value === 'all') next.delete('status');
      else next.set('status', value);
      return next;
    });

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('list.title')}</h1>
        {maySend && (
          <Link className="button button-primary" to="/app/envelopes/new">
            {t('nav.newEnvelope')}
          </Link>
        )}
      </div>
      <div className="search">
        <label htmlFor={searchId}>{t('list.search')}</label>
        <input
          id={searchId}
          type="search"
          value={typed}
          placeholder={t('list.searchPlaceholder')}
          onChange={(event) => setTyped(event.target.value)}
        />
      </div>
      <Tabs.Root value={status} onValueChange={choose} activationMode="manual">
        <Tabs.List className="tabs" aria-label={t('list.byStatus')}>
          {FILTERS.map((filter) => (
            <Tabs.Trigger key={filter} value={filter} className="tab">
              {t(`list.filter.${filter}`)}
            </Tabs.Trigger>
          ))}
        </Tabs.List>
        {FILTERS.map((filter) => (
          <Tabs.Content key={filter} value={filter} className="tab-panel">
            <Results status={filter} q={q} />
          </Tabs.Content>
        ))}
      </Tabs.Root>
    </div>
  );
}

function Results({ status, q }: { status: Filter; q: string }) {
  const { t } = useTranslation();
  const onError = useApiErrors();
  const maySend = useMaySend();
  const [items, setItems] = useState<EnvelopeSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'more' | { problem: string }>('loading');

  // Only the answer to the latest search or filter is shown, however the answers arrive.
  const latest = useRef(0);
  const load = async (after: string | null) => {
    const request = after ? latest.current : ++latest.current;
    setState(after ? 'more' : 'loading');
    try {
      const page = await signet().get('/api/v1/envelopes', {
        params: {
          query: {
            limit: PAGE_SIZE,
            ...(status === 'all' ? {} : { status }),
            ...(q ? { q } : {}),
            ...(after ? { cursor: after } : {}),
          },
        },
      });
      if (request !== latest.current) return;
      setItems((current) => (after ? [...current, ...page.data] : page.data));
      setCursor(page.nextCursor);
      setState('ready');
    } catch (error) {
      if (request !== latest.current) return;
      onError(error);
      setState({ problem: problemMessage(error, t) });
    }
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter or search starts from the first page
  useEffect(() => {
    setItems([]);
    void load(null);
  }, [status, q]);

  if (state === 'loading') return <Spinner label={t('common.loading')} />;
  if (typeof state === 'object' && items.length === 0) {
    return (
      <>
        <Alert>{state.problem}</Alert>
        <button type="button" className="button" onClick={() => void load(null)}>
          {t('common.retry')}
        </button>
      </>
    );
  }
  if (items.length === 0) {
    return (
      <div className="empty">
        <p>{q ? t('list.noMatch', { q }) : t(`list.empty.${status}`)}</p>
        {!q && status === 'all' && maySend && (
          <Link className="button button-primary" to="/app/envelopes/new">
            {t('list.createFirst')}
          </Link>
        )}
      </div>
    );
  }
  return (
    <>
      <ul className="envelope-list">
        {items.map((envelope) => (
          <EnvelopeRow key={envelope.id} envelope={envelope} />
        ))}
      </ul>
      {typeof state === 'object' && <Alert>{state.problem}</Alert>}
      {cursor && (
        <button
          type="button"
          className="button button-secondary load-more"
          disabled={state === 'more'}
          onClick={() => void load(cursor)}
        >
          {state === 'more' ? t('common.loading') : t('list.more')}
        </button>
      )}
    </>
  );
}

function EnvelopeRow({ envelope }: { envelope: EnvelopeSummary }) {
  const { t } = useTranslation();
  const format = useFormat();
  const when = whenOf(envelope);
  return (
    <li className="envelope-row">
      <Link to={`/app/envelopes/${envelope.id}`} className="envelope-link">
        <span className="envelope-title">{envelope.title}</span>
        <span className="envelope-meta">
          <StatusBadge status={envelope.status} />
          {when && <span>{t(`list.when.${when.what}`, { date: format.date(when.at) })}</span>}
        </span>
      </Link>
    </li>
  );
}

/** The date that says most about where an envelope stands. */
function whenOf(envelope: EnvelopeSummary): { what: string; at: string } | undefined {
  const candidates: [string, string | null][] = [
    ['completed', envelope.completedAt],
    ['declined', envelope.declinedAt],
    ['voided', envelope.voidedAt],
    ['sent', envelope.sentAt],
    ['created', envelope.createdAt],
  ];
  for (const [what, at] of candidates) if (at) return { what, at };
  return undefined;
}
