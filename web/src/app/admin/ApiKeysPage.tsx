import * as Dialog from '@radix-ui/react-dialog';
import type { Answer } from '@signet/sdk';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { signet } from '../../shared/api.ts';
import { useFormat } from '../lib/format.ts';
import { problemMessage } from '../lib/problems.ts';
import { useApiErrors } from '../lib/useApiErrors.ts';
import { useTitle } from '../lib/useTitle.ts';
import { useIsAdmin, useMe } from '../session.tsx';
import { Alert, Spinner } from '../ui/Alert.tsx';
import { Confirm } from '../ui/Confirm.tsx';
import { useToast } from '../ui/toasts.tsx';

/*
 * /app/api-keys: keys for integrations (GET/POST /api/v1/api-keys, DELETE …/{id}). Everyone may
 * make keys, with scopes their own role holds (the API refuses others: SCOPE_NOT_GRANTABLE); an
 * admin sees every key of the organisation, anyone else their own. The secret is answered once,
 * shown once here with a copy button, and never kept by the page.
 */

type ApiKey = Answer<'/api/v1/api-keys', 'get'>['data'][number];
type Scope =
  | 'envelopes:read'
  | 'envelopes:write'
  | 'organization:admin'
  | 'support:read'
  | 'webhooks:read'
  | 'webhooks:write';

/** src/orgs/scopes.ts ROLE_SCOPES: what each role may put on a key. */
const ROLE_SCOPES: Record<string, Scope[]> = {
  owner: [
    'envelopes:read',
    'envelopes:write',
    'organization:admin',
    'support:read',
    'webhooks:read',
    'webhooks:write',
  ],
  admin: [
    'envelopes:read',
    'envelopes:write',
    'organization:admin',
    'support:read',
    'webhooks:read',
    'webhooks:write',
  ],
  sender: ['envelopes:read', 'envelopes:write'],
  viewer: ['envelopes:read'],
};
const PAGE_SIZE = 25;

export function ApiKeysPage() {
  const { t } = useTranslation();
  useTitle(t('apiKeys.title'));
  const onError = useApiErrors();
  const toast = useToast();
  const format = useFormat();
  const isAdmin = useIsAdmin();
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'more' | { problem: string }>('loading');

  const load = async (after: string | null) => {
    setState(after ? 'more' : 'loading');
    try {
      const page = await signet().get('/api/v1/api-keys', {
        params: { query: { limit: PAGE_SIZE, ...(after ? { cursor: after } : {}) } },
      });
      setKeys((current) => (after ? [...current, ...page.data] : page.data));
      setCursor(page.nextCursor);
      setState('ready');
    } catch (error) {
      onError(error);
      setState({ problem: problemMessage(error, t) });
    }
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, on arrival
  useEffect(() => {
    void load(null);
  }, []);

  const revoke = async (key: ApiKey) => {
    try {
      await signet().delete('/api/v1/api-keys/{id}', { params: { path: { id: key.id } } });
      setKeys((current) => current.filter((other) => other.id !== key.id));
      toast(t('apiKeys.revoked', { name: key.name }));
      return true;
    } catch (error) {
      onError(error);
      toast(problemMessage(error, t), 'error');
      return false;
    }
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('apiKeys.title')}</h1>
        <CreateKeyDialog onCreated={(key) => setKeys((current) => [key, ...current])} />
      </div>
      <p className="hint page-intro">{isAdmin ? t('apiKeys.introAdmin') : t('apiKeys.introOwn')}</p>
      {state === 'loading' ? (
        <Spinner label={t('common.loading')} />
      ) : typeof state === 'object' && keys.length === 0 ? (
        <Alert>{state.problem}</Alert>
      ) : keys.length === 0 ? (
        <p className="empty">{t('apiKeys.empty')}</p>
      ) : (
        <div className="table-scroll">
          <table className="admin-table">
            <caption className="visually-hidden">{t('apiKeys.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('apiKeys.name')}</th>
                <th scope="col">{t('apiKeys.scopes')}</th>
                <th scope="col">{t('apiKeys.prefix')}</th>
                <th scope="col">{t('apiKeys.createdBy')}</th>
                <th scope="col">{t('apiKeys.created')}</th>
                <th scope="col">{t('apiKeys.lastUsed')}</th>
                <th scope="col">{t('users.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id}>
                  <td data-label={t('apiKeys.name')}>
                    <strong>{key.name}</strong>
                  </td>
                  <td data-label={t('apiKeys.scopes')}>{key.scopes.join(', ')}</td>
                  <td data-label={t('apiKeys.prefix')}>
                    <code>{key.prefix}…</code>
                  </td>
                  <td data-label={t('apiKeys.createdBy')}>
                    {key.createdBy ? key.createdBy.name || key.createdBy.email : t('apiKeys.byCommand')}
                  </td>
                  <td data-label={t('apiKeys.created')}>{format.date(key.createdAt)}</td>
                  <td data-label={t('apiKeys.lastUsed')}>
                    {key.lastUsedAt ? format.dateTime(key.lastUsedAt) : t('apiKeys.neverUsed')}
                  </td>
                  <td data-label={t('users.actions')}>
                    <Confirm
                      label={t('apiKeys.revoke')}
                      title={t('apiKeys.revokeTitle', { name: key.name })}
                      description={t('apiKeys.revokeDescription')}
                      confirm={t('apiKeys.revoke')}
                      danger
                      triggerClassName="button button-danger-outline button-small"
                      onConfirm={() => revoke(key)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {typeof state === 'object' && keys.length > 0 && <Alert>{state.problem}</Alert>}
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
    </div>
  );
}

function CreateKeyDialog({ onCreated }: { onCreated(key: ApiKey): void }) {
  const { t } = useTranslation();
  const onError = useApiErrors();
  const me = useMe();
  const grantable = ROLE_SCOPES[me.role] ?? ['envelopes:read'];
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['envelopes:read']);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [secret, setSecret] = useState<string>();
  const nameId = useId();

  const reset = () => {
    setName('');
    setScopes(['envelopes:read']);
    setProblem(undefined);
    setSecret(undefined);
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const { key, ...created } = await signet().post('/api/v1/api-keys', {
        body: { name: name.trim(), scopes },
      });
      onCreated(created);
      setSecret(key);
    } catch (error) {
      onError(error);
      setProblem(problemMessage(error, t));
    } finally {
      setBusy(false);
    }
  };
  const toggle = (scope: Scope, on: boolean) =>
    setScopes((current) => (on ? [...current, scope] : current.filter((other) => other !== scope)));

  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        // The secret is forgotten as the dialog closes: it is shown this once.
        if (!next) reset();
      }}
    >
      <Dialog.Trigger asChild>
        <button type="button" className="button button-primary">
          {t('apiKeys.create')}
        </button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog">
          {secret ? (
            <ShownOnce secret={secret} />
          ) : (
            <>
              <Dialog.Title>{t('apiKeys.createTitle')}</Dialog.Title>
              <Dialog.Description>{t('apiKeys.createDescription')}</Dialog.Description>
              <form className="stack" onSubmit={submit}>
                <div className="field">
                  <label htmlFor={nameId}>{t('apiKeys.name')}</label>
                  <input
                    id={nameId}
                    required
                    maxLength={200}
                    autoComplete="off"
                    value={name}
                    onChange={(event) => setName(event.target.value)}
                  />
                </div>
                <fieldset className="scope-list stack-tight">
                  <legend>{t('apiKeys.scopes')}</legend>
                  {grantable.map((scope) => (
                    <label key={scope} className="checkbox">
                      <input
                        type="checkbox"
                        checked={scopes.includes(scope)}
                        onChange={(event) => toggle(scope, event.target.checked)}
                      />
                      <span>
                        <code>{scope}</code> — {t(`apiKeys.scope.${scope.replace(':', '_')}`)}
                      </span>
                    </label>
                  ))}
                </fieldset>
                {problem && <Alert>{problem}</Alert>}
                <div className="dialog-actions">
                  <Dialog.Close asChild>
                    <button type="button" className="button button-secondary">
                      {t('common.cancel')}
                    </button>
                  </Dialog.Close>
                  <button
                    type="submit"
                    className="button button-primary"
                    disabled={busy || !name.trim() || scopes.length === 0}
                  >
                    {t('apiKeys.createSubmit')}
                  </button>
                </div>
              </form>
            </>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function ShownOnce({ secret }: { secret: string }) {
  const { t } = useTranslation();
  const toast = useToast();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      toast(t('apiKeys.copied'));
    } catch {
      toast(t('apiKeys.copyFailed'), 'error');
    }
  };
  return (
    <>
      <Dialog.Title>{t('apiKeys.secretTitle')}</Dialog.Title>
      <Dialog.Description asChild>
        <div>
          <Alert tone="info">{t('apiKeys.secretOnce')}</Alert>
        </div>
      </Dialog.Description>
      <div className="secret">
        <label htmlFor="api-key-secret" className="visually-hidden">
          {t('apiKeys.secretLabel')}
        </label>
        <input
          id="api-key-secret"
          className="secret-value"
          readOnly
          value={secret}
          onFocus={(event) => event.target.select()}
        />
        <button type="button" className="button button-secondary" onClick={() => void copy()}>
          {t('apiKeys.copy')}
        </button>
      </div>
      <div className="dialog-actions">
        <Dialog.Close asChild>
          <button type="button" className="button button-primary">
            {t('apiKeys.done')}
          </button>
        </Dialog.Close>
      </div>
    </>
  );
}
