import type { Answer, Envelope, Recipient } from '@signet/sdk';
import type { TFunction } from 'i18next';
import { type CSSProperties, useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { signet } from '../../shared/api.ts';
import { colourOf } from '../compose/model.ts';
import { StatusBadge } from '../envelopes/StatusBadge.tsx';
import { fileNameOf, saveFile } from '../lib/download.ts';
import { useFormat } from '../lib/format.ts';
import { problemMessage } from '../lib/problems.ts';
import { useApiErrors } from '../lib/useApiErrors.ts';
import { useTitle } from '../lib/useTitle.ts';
import { useMaySend } from '../session.tsx';
import { Alert, Spinner } from '../ui/Alert.tsx';
import { useToast } from '../ui/toasts.tsx';
import { ConfirmDelete, VoidDialog } from './dialogs.tsx';
import { Verdict } from './Verdict.tsx';

/*
 * /app/envelopes/{id}: where an envelope stands — each recipient's progress, the timeline from
 * the audit log, what can be done now (send, remind, void, delete a draft) and the files
 * (originals, sealed PDF, certificate of completion, audit JSON) with a verdict on the sealed one.
 */

type Audit = Answer<'/api/v1/envelopes/{id}/audit', 'get'>;
/** The audit log in plain words, as the server words it (evidence/timeline.ts) in the app's language. */
type Timeline = Answer<'/api/v1/envelopes/{id}/timeline', 'get'>['entries'];

/** How often the page looks again while the seal is being made. */
const SEAL_POLL_MS = 3000;

export function EnvelopePage() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const onError = useApiErrors();
  const [envelope, setEnvelope] = useState<Envelope>();
  const [audit, setAudit] = useState<Audit>();
  const [timeline, setTimeline] = useState<Timeline>();
  const language = i18n.language === 'de' ? 'de' : 'en';
  const [problem, setProblem] = useState<{ message: string; notFound: boolean }>();
  useTitle(envelope?.title ?? t('envelope.title'));

  const load = useCallback(async () => {
    try {
      const path = { params: { path: { id } } };
      const [loaded, trail, told] = await Promise.all([
        signet().get('/api/v1/envelopes/{id}', path),
        signet().get('/api/v1/envelopes/{id}/audit', path),
        signet().get('/api/v1/envelopes/{id}/timeline', { params: { path: { id }, query: { language } } }),
      ]);
      setEnvelope(loaded);
      setAudit(trail);
      setTimeline(told.entries);
      setProblem(undefined);
    } catch (error) {
      onError(error);
      setProblem({
        message: problemMessage(error, t),
        notFound: (error as { status?: number }).status === 404,
      });
    }
  }, [id, language, onError, t]);

  useEffect(() => {
    void load();
  }, [load]);

  const sealing =
    envelope?.status === 'completed' &&
    ['none', 'pending', 'running', 'failed'].includes(envelope.seal.state);
  useEffect(() => {
    if (!sealing) return;
    const timer = setInterval(() => void load(), SEAL_POLL_MS);
    return () => clearInterval(timer);
  }, [sealing, load]);

  if (problem && !envelope) {
    return (
      <div className="page">
        <h1>{problem.notFound ? t('envelope.notFound') : t('envelope.title')}</h1>
        <Alert>{problem.message}</Alert>
        <Link to="/app/envelopes">{t('envelope.backToList')}</Link>
      </div>
    );
  }
  if (!envelope || !audit || !timeline) {
    return (
      <div className="page">
        <Spinner label={t('common.loading')} />
      </div>
    );
  }
  return (
    <EnvelopeView envelope={envelope} audit={audit} timeline={timeline} reload={load} sealing={sealing} />
  );
}

function EnvelopeView({
  envelope,
  audit,
  timeline,
  reload,
  sealing,
}: {
  envelope: Envelope;
  audit: Audit;
  timeline: Timeline;
  reload(): Promise<void>;
  sealing: boolean;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const toast = useToast();
  const navigate = useNavigate();
  const onError = useApiErrors();
  const maySend = useMaySend();
  const [busy, setBusy] = useState<string>();
  const path = { params: { path: { id: envelope.id } } };

  const act = async (name: string, work: () => Promise<void>) => {
    setBusy(name);
    try {
      await work();
    } catch (error) {
      onError(error);
      toast(problemMessage(error, t), 'error');
    } finally {
      setBusy(undefined);
    }
  };

  const send = () =>
    act('send', async () => {
      await signet().post('/api/v1/envelopes/{id}/send', path);
      toast(t('envelope.sentToast'));
      await reload();
    });
  const remind = () =>
    act('remind', async () => {
      const { reminded } = await signet().post('/api/v1/envelopes/{id}/remind', path);
      const names = reminded.map((r) => envelope.recipients.find((x) => x.id === r.id)?.name || r.email);
      toast(
        names.length > 0 ? t('envelope.reminded', { names: names.join(', ') }) : t('envelope.nobodyToRemind'),
      );
      await reload();
    });
  const voidWith = (reason: string) =>
    act('void', async () => {
      await signet().post('/api/v1/envelopes/{id}/void', { ...path, body: { reason } });
      toast(t('envelope.voidedToast'));
      await reload();
    });
  const remove = () =>
    act('delete', async () => {
      await signet().delete('/api/v1/envelopes/{id}', path);
      toast(t('envelope.deletedToast', { title: envelope.title }));
      navigate('/app/envelopes', { replace: true });
    });
  const download = (name: string, work: () => Promise<void>) => act(name, work);

  const sealed = envelope.status === 'completed' && envelope.seal.state === 'done';
  const days = groupByDay(timeline);

  return (
    <div className="page">
      <p className="breadcrumb">
        <Link to="/app/envelopes">{t('nav.envelopes')}</Link>
      </p>
      <div className="page-head">
        <h1>{envelope.title}</h1>
        <StatusBadge status={envelope.status} />
      </div>
      <p className="hint envelope-dates">
        {envelope.createdAt && t('envelope.created', { date: format.dateTime(envelope.createdAt) })}
        {envelope.sentAt && ` · ${t('envelope.sent', { date: format.dateTime(envelope.sentAt) })}`}
        {envelope.expiresAt &&
          envelope.status === 'sent' &&
          ` · ${t('envelope.expires', { date: format.date(envelope.expiresAt) })}`}
      </p>
      {envelope.status === 'voided' && envelope.voidReason && (
        <Alert tone="info">{t('envelope.voidedBecause', { reason: envelope.voidReason })}</Alert>
      )}
      {sealing && (
        <p role="status" className="alert alert-info">
          {envelope.seal.state === 'failed' ? t('envelope.sealRetrying') : t('envelope.sealing')}
        </p>
      )}

      {maySend && (
        <div className="actions">
          {envelope.status === 'draft' && (
            <button
              type="button"
              className="button button-primary"
              disabled={busy !== undefined}
              onClick={send}
            >
              {t('envelope.send')}
            </button>
          )}
          {envelope.status === 'sent' && (
            <button
              type="button"
              className="button button-secondary"
              disabled={busy !== undefined}
              onClick={remind}
            >
              {busy === 'remind' ? t('envelope.reminding') : t('envelope.remind')}
            </button>
          )}
          {(envelope.status === 'draft' || envelope.status === 'sent') && (
            <VoidDialog busy={busy === 'void'} onVoid={voidWith} />
          )}
          {envelope.status === 'draft' && (
            <ConfirmDelete busy={busy === 'delete'} title={envelope.title} onDelete={remove} />
          )}
        </div>
      )}

      <div className="envelope-grid">
        <div className="stack">
          <section className="card" aria-labelledby="recipients-heading">
            <h2 id="recipients-heading">{t('envelope.recipients')}</h2>
            <ol className="recipient-status-list">
              {envelope.recipients.map((recipient, index) => (
                <li key={recipient.id} style={{ '--colour': colourOf(index) } as CSSProperties}>
                  <span className="swatch" aria-hidden="true" />
                  <div>
                    <p className="recipient-name">
                      {recipient.name} <span className="hint">{recipient.email}</span>
                    </p>
                    <p className="hint">
                      {t(`roles.${recipient.role}`)} ·{' '}
                      {t('envelope.order', { order: recipient.routingOrder })}
                    </p>
                    <p className={`recipient-state state-${recipient.status}`}>
                      {recipientState(recipient, envelope, t, format)}
                    </p>
                  </div>
                </li>
              ))}
            </ol>
          </section>

          <section className="card" aria-labelledby="files-heading">
            <h2 id="files-heading">{t('envelope.files')}</h2>
            <ul className="file-list">
              {sealed && (
                <li>
                  <button
                    type="button"
                    className="button button-primary"
                    disabled={busy !== undefined}
                    onClick={() =>
                      download('sealed', async () =>
                        saveFile(
                          await signet().downloadSealedPdf(envelope.id),
                          fileNameOf(envelope.title, 'pdf'),
                          'application/pdf',
                        ),
                      )
                    }
                  >
                    {t('envelope.downloadSealed')}
                  </button>
                </li>
              )}
              <li>
                <button
                  type="button"
                  className="button button-secondary"
                  disabled={busy !== undefined}
                  onClick={() =>
                    download('certificate', async () =>
                      saveFile(
                        await signet().downloadCertificate(envelope.id),
                        fileNameOf(`${envelope.title} - ${t('envelope.certificateFile')}`, 'pdf'),
                        'application/pdf',
                      ),
                    )
                  }
                >
                  {t('envelope.downloadCertificate')}
                </button>
              </li>
              <li>
                <button
                  type="button"
                  className="button button-secondary"
                  onClick={() =>
                    saveFile(
                      `${JSON.stringify(audit, null, 2)}\n`,
                      fileNameOf(`${envelope.title} - audit`, 'json'),
                      'application/json',
                    )
                  }
                >
                  {t('envelope.downloadAudit')}
                </button>
              </li>
              {envelope.documents.map((document) => (
                <li key={document.id}>
                  <button
                    type="button"
                    className="button button-quiet"
                    disabled={busy !== undefined}
                    onClick={() =>
                      download(`document-${document.id}`, async () =>
                        saveFile(
                          await signet().downloadDocument(envelope.id, document.id),
                          document.name.toLowerCase().endsWith('.pdf')
                            ? document.name
                            : `${document.name}.pdf`,
                          'application/pdf',
                        ),
                      )
                    }
                  >
                    {t('envelope.downloadOriginal', { name: document.name })}
                  </button>
                  <span className="hint"> {t('compose.documents.pages', { count: document.pages })}</span>
                </li>
              ))}
            </ul>
            {sealed && <Verdict envelopeId={envelope.id} />}
          </section>
        </div>

        <section className="card" aria-labelledby="timeline-heading">
          <h2 id="timeline-heading">{t('envelope.timeline')}</h2>
          {!audit.verified && <Alert>{t('envelope.auditBroken')}</Alert>}
          {days.map(([day, entries]) => (
            <div key={day} className="timeline-day">
              <h3>{format.day(entries[0]!.at)}</h3>
              <ol className="timeline">
                {entries.map((entry) => (
                  <li key={entry.seq}>
                    <p>{entry.text}</p>
                    <p className="hint">
                      <time dateTime={entry.at}>{format.time(entry.at)}</time>
                      {entry.device && `, ${entry.device}`}
                      {entry.ip && `, ${entry.ip}`}
                    </p>
                  </li>
                ))}
              </ol>
            </div>
          ))}
          {audit.verified && audit.events.length > 0 && <p className="hint">{t('envelope.auditVerified')}</p>}
        </section>
      </div>
    </div>
  );
}

function groupByDay<T extends { at: string }>(entries: T[]): [string, T[]][] {
  const days = new Map<string, T[]>();
  for (const entry of entries) {
    const day = new Date(entry.at).toDateString(); // the viewer's own calendar day
    days.set(day, [...(days.get(day) ?? []), entry]);
  }
  return [...days];
}

function recipientState(
  recipient: Recipient,
  envelope: Envelope,
  t: TFunction,
  format: ReturnType<typeof useFormat>,
): string {
  const at = (iso: string | null) => (iso ? format.dateTime(iso) : '');
  if (recipient.role === 'cc') {
    return envelope.status === 'completed' ? t('recipientState.ccReceived') : t('recipientState.ccPending');
  }
  switch (recipient.status) {
    case 'created':
      return envelope.status === 'draft'
        ? t('recipientState.notSent')
        : envelope.status === 'sent'
          ? t('recipientState.waiting')
          : t('recipientState.notReached');
    case 'sent':
      return t('recipientState.invited', { date: at(recipient.invitedAt) });
    case 'delivered':
      return t('recipientState.opened', { date: at(recipient.viewedAt) });
    case 'completed':
      return t(`recipientState.completed.${recipient.role}`, { date: at(recipient.completedAt) });
    case 'declined':
      return recipient.declineReason
        ? t('recipientState.declinedBecause', {
            date: at(recipient.declinedAt),
            reason: recipient.declineReason,
          })
        : t('recipientState.declined', { date: at(recipient.declinedAt) });
  }
}
