import * as Dialog from '@radix-ui/react-dialog';
import * as Tabs from '@radix-ui/react-tabs';
import type { Answer } from '@signet/sdk';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { signet } from '../../shared/api.ts';
import { useFormat } from '../lib/format.ts';
import { problemMessage } from '../lib/problems.ts';
import { useApiErrors } from '../lib/useApiErrors.ts';
import { useTitle } from '../lib/useTitle.ts';
import { useMe } from '../session.tsx';
import { Alert, Spinner } from '../ui/Alert.tsx';
import { Confirm } from '../ui/Confirm.tsx';
import { useToast } from '../ui/toasts.tsx';

/*
 * /app/users: the organisation's people (GET /api/v1/users, a page at a time, by status), invite
 * by mail with a role, change a role, deactivate and reactivate. The API holds the rules (only an
 * owner makes or changes an owner, the last active owner stays one, nobody deactivates
 * themselves); this page offers what it allows and says in plain words when it refuses.
 */

type User = Answer<'/api/v1/users', 'get'>['data'][number];
type Role = User['role'];
const ROLES: Role[] = ['owner', 'admin', 'sender', 'viewer'];
const FILTERS = ['all', 'active', 'invited', 'deactivated'] as const;
type Filter = (typeof FILTERS)[number];
const PAGE_SIZE = 25;

export function UsersPage() {
  const { t } = useTranslation();
  useTitle(t('users.title'));
  const [params, setParams] = useSearchParams();
  const status = (FILTERS as readonly string[]).includes(params.get('status') ?? '')
    ? (params.get('status') as Filter)
    : 'all';
  const [reloads, setReloads] = useState(0);
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
        <h1>{t('users.title')}</h1>
        <InviteDialog onInvited={() => setReloads((n) => n + 1)} />
      </div>
      <Tabs.Root value={status} onValueChange={choose} activationMode="manual">
        <Tabs.List className="tabs" aria-label={t('users.byStatus')}>
          {FILTERS.map((filter) => (
            <Tabs.Trigger key={filter} value={filter} className="tab">
              {t(`users.filter.${filter}`)}
            </Tabs.Trigger>
          ))}
        </Tabs.List>
        {FILTERS.map((filter) => (
          <Tabs.Content key={filter} value={filter} className="tab-panel">
            {filter === status && <UserTable status={filter} reloads={reloads} />}
          </Tabs.Content>
        ))}
      </Tabs.Root>
    </div>
  );
}

function UserTable({ status, reloads }: { status: Filter; reloads: number }) {
  const { t } = useTranslation();
  const onError = useApiErrors();
  const format = useFormat();
  const [users, setUsers] = useState<User[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'more' | { problem: string }>('loading');

  const load = async (after: string | null) => {
    setState(after ? 'more' : 'loading');
    try {
      const page = await signet().get('/api/v1/users', {
        params: {
          query: {
            limit: PAGE_SIZE,
            ...(status === 'all' ? {} : { status }),
            ...(after ? { cursor: after } : {}),
          },
        },
      });
      setUsers((current) => (after ? [...current, ...page.data] : page.data));
      setCursor(page.nextCursor);
      setState('ready');
    } catch (error) {
      onError(error);
      setState({ problem: problemMessage(error, t) });
    }
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter or an invitation starts from the first page
  useEffect(() => {
    void load(null);
  }, [status, reloads]);

  const replace = (user: User) =>
    setUsers((current) =>
      current.flatMap((other) =>
        other.id !== user.id ? [other] : status === 'all' || user.status === status ? [user] : [],
      ),
    );

  if (state === 'loading') return <Spinner label={t('common.loading')} />;
  if (typeof state === 'object' && users.length === 0) return <Alert>{state.problem}</Alert>;
  if (users.length === 0) return <p className="empty">{t(`users.empty.${status}`)}</p>;
  return (
    <>
      <div className="table-scroll">
        <table className="admin-table">
          <caption className="visually-hidden">{t(`users.filter.${status}`)}</caption>
          <thead>
            <tr>
              <th scope="col">{t('users.name')}</th>
              <th scope="col">{t('users.role')}</th>
              <th scope="col">{t('users.status')}</th>
              <th scope="col">{t('users.lastSignIn')}</th>
              <th scope="col">{t('users.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id}>
                <td data-label={t('users.name')}>
                  <strong>{user.name || user.email}</strong>
                  {user.name && (
                    <>
                      <br />
                      <span className="hint">{user.email}</span>
                    </>
                  )}
                </td>
                <td data-label={t('users.role')}>{t(`staffRoles.${user.role}`)}</td>
                <td data-label={t('users.status')}>{t(`users.state.${user.status}`)}</td>
                <td data-label={t('users.lastSignIn')}>
                  {user.lastSignInAt ? format.dateTime(user.lastSignInAt) : t('users.never')}
                </td>
                <td data-label={t('users.actions')}>
                  <UserActions user={user} onChanged={replace} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
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

/** Runs one change of a user; a refusal is told in a toast, in the person's words. */
function useUserAction(onChanged: (user: User) => void) {
  const { t } = useTranslation();
  const onError = useApiErrors();
  const toast = useToast();
  return async (work: () => Promise<User>, done: string) => {
    try {
      onChanged(await work());
      toast(done);
      return true;
    } catch (error) {
      onError(error);
      toast(problemMessage(error, t), 'error');
      return false;
    }
  };
}

function UserActions({ user, onChanged }: { user: User; onChanged(user: User): void }) {
  const { t } = useTranslation();
  const me = useMe();
  const act = useUserAction(onChanged);
  const who = user.name || user.email;
  const path = { params: { path: { id: user.id } } };
  return (
    <div className="row-actions">
      {user.status !== 'deactivated' && <RoleDialog user={user} onChanged={onChanged} />}
      {user.status === 'deactivated' ? (
        <Confirm
          label={t('users.reactivate')}
          title={t('users.reactivateTitle', { who })}
          description={t('users.reactivateDescription')}
          confirm={t('users.reactivate')}
          onConfirm={() =>
            act(
              () => signet().post('/api/v1/users/{id}/reactivate', { ...path, body: {} }),
              t('users.reactivated', { who }),
            )
          }
        />
      ) : (
        user.id !== me.id && (
          <Confirm
            label={t('users.deactivate')}
            title={t('users.deactivateTitle', { who })}
            description={t('users.deactivateDescription')}
            confirm={t('users.deactivate')}
            danger
            triggerClassName="button button-danger-outline button-small"
            onConfirm={() =>
              act(
                () => signet().post('/api/v1/users/{id}/deactivate', { ...path, body: {} }),
                t('users.deactivated', { who }),
              )
            }
          />
        )
      )}
    </div>
  );
}

/** The roles this person may hand out: only an owner makes owners (the API says OWNER_REQUIRED). */
function useGrantableRoles(): Role[] {
  const me = useMe();
  return me.role === 'owner' ? ROLES : ROLES.filter((role) => role !== 'owner');
}

function RoleSelect({ id, value, onChange }: { id: string; value: Role; onChange(role: Role): void }) {
  const { t } = useTranslation();
  const roles = useGrantableRoles();
  return (
    <>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value as Role)}>
        {(roles.includes(value) ? roles : [value, ...roles]).map((role) => (
          <option key={role} value={role}>
            {t(`staffRoles.${role}`)}
          </option>
        ))}
      </select>
      <p className="hint">{t(`users.roleHint.${value}`)}</p>
    </>
  );
}

function RoleDialog({ user, onChanged }: { user: User; onChanged(user: User): void }) {
  const { t } = useTranslation();
  const onError = useApiErrors();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [role, setRole] = useState<Role>(user.role);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const roleId = useId();
  const who = user.name || user.email;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const changed = await signet().patch('/api/v1/users/{id}', {
        params: { path: { id: user.id } },
        body: { role },
      });
      onChanged(changed);
      toast(t('users.roleChanged', { who, role: t(`staffRoles.${changed.role}`) }));
      setOpen(false);
    } catch (error) {
      onError(error);
      setProblem(problemMessage(error, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        setRole(user.role);
        setProblem(undefined);
      }}
    >
      <Dialog.Trigger asChild>
        <button type="button" className="button button-secondary button-small">
          {t('users.changeRole')}
        </button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog">
          <Dialog.Title>{t('users.changeRoleTitle', { who })}</Dialog.Title>
          <Dialog.Description>{t('users.changeRoleDescription')}</Dialog.Description>
          <form className="stack" onSubmit={submit}>
            <div className="field">
              <label htmlFor={roleId}>{t('users.role')}</label>
              <RoleSelect id={roleId} value={role} onChange={setRole} />
            </div>
            {problem && <Alert>{problem}</Alert>}
            <div className="dialog-actions">
              <Dialog.Close asChild>
                <button type="button" className="button button-secondary">
                  {t('common.cancel')}
                </button>
              </Dialog.Close>
              <button type="submit" className="button button-primary" disabled={busy || role === user.role}>
                {t('users.saveRole')}
              </button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function InviteDialog({ onInvited }: { onInvited(): void }) {
  const { t } = useTranslation();
  const onError = useApiErrors();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('sender');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const emailId = useId();
  const nameId = useId();
  const roleId = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const invited = await signet().post('/api/v1/users', {
        body: { email: email.trim(), role, ...(name.trim() ? { name: name.trim() } : {}) },
      });
      toast(t('users.invited', { email: invited.email }));
      setOpen(false);
      setEmail('');
      setName('');
      setRole('sender');
      onInvited();
    } catch (error) {
      onError(error);
      setProblem(problemMessage(error, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        setProblem(undefined);
      }}
    >
      <Dialog.Trigger asChild>
        <button type="button" className="button button-primary">
          {t('users.invite')}
        </button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog">
          <Dialog.Title>{t('users.inviteTitle')}</Dialog.Title>
          <Dialog.Description>{t('users.inviteDescription')}</Dialog.Description>
          <form className="stack" onSubmit={submit}>
            <div className="field">
              <label htmlFor={emailId}>{t('users.email')}</label>
              <input
                id={emailId}
                type="email"
                required
                autoComplete="off"
                maxLength={254}
                value={email}
                onChange={(event) => setEmail(event.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor={nameId}>{t('users.nameOptional')}</label>
              <input
                id={nameId}
                autoComplete="off"
                maxLength={200}
                value={name}
                onChange={(event) => setName(event.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor={roleId}>{t('users.role')}</label>
              <RoleSelect id={roleId} value={role} onChange={setRole} />
            </div>
            {problem && <Alert>{problem}</Alert>}
            <div className="dialog-actions">
              <Dialog.Close asChild>
                <button type="button" className="button button-secondary">
                  {t('common.cancel')}
                </button>
              </Dialog.Close>
              <button type="submit" className="button button-primary" disabled={busy}>
                {busy ? t('users.inviting') : t('users.sendInvite')}
              </button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
