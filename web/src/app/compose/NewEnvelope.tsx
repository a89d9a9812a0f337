import { SignetApiError } from '@signet/sdk';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { signet } from '../../shared/api.ts';
import { problemMessage } from '../lib/problems.ts';
import { useApiErrors } from '../lib/useApiErrors.ts';
import { useTitle } from '../lib/useTitle.ts';
import { useMaySend } from '../session.tsx';
import { Alert } from '../ui/Alert.tsx';
import { useToast } from '../ui/toasts.tsx';
import { DocumentsStep } from './DocumentsStep.tsx';
import { FieldEditor } from './FieldEditor.tsx';
import { type Draft, draftInput, newRecipient, sendProblems } from './model.ts';
import { describeProblemPath } from './problemPaths.ts';
import { RecipientsStep } from './RecipientsStep.tsx';
import { ReviewStep } from './ReviewStep.tsx';

/*
 * /app/envelopes/new: documents → recipients → fields → review, then send or keep as a draft,
 * in one multipart request through the SDK (createEnvelope: an Idempotency-Key, so a retry
 * after a dropped connection cannot make two envelopes).
 */

const STEPS = ['documents', 'recipients', 'fields', 'review'] as const;
type Step = (typeof STEPS)[number];

export function NewEnvelope() {
  const { t } = useTranslation();
  useTitle(t('compose.title'));
  if (!useMaySend()) {
    return (
      <div className="page">
        <h1>{t('compose.title')}</h1>
        <Alert tone="info">{t('compose.viewerRole')}</Alert>
      </div>
    );
  }
  return <Composer />;
}

function Composer() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const toast = useToast();
  const onError = useApiErrors();
  const [draft, setDraft] = useState<Draft>(() => ({
    title: '',
    message: '',
    documents: [],
    recipients: [newRecipient(1)],
    fields: [],
  }));
  const [step, setStep] = useState<Step>('documents');
  const [busy, setBusy] = useState<'send' | 'draft'>();
  const [problems, setProblems] = useState<string[]>([]);
  const heading = useRef<HTMLHeadingElement>(null);
  const done = useRef(false);

  // Leaving with work in hand asks first (the browser's own prompt).
  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      if (!done.current && draft.documents.length > 0) event.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [draft.documents.length]);

  const go = (next: Step) => {
    setProblems([]);
    setStep(next);
    // The step's heading takes focus, so a screen reader starts reading the new step.
    requestAnimationFrame(() => heading.current?.focus());
  };
  const index = STEPS.indexOf(step);

  const submit = async (send: boolean) => {
    const local = sendProblems(draft, send).map((p) => t(p.key, p.values ?? {}));
    if (local.length > 0) {
      setProblems(local);
      return;
    }
    setBusy(send ? 'send' : 'draft');
    setProblems([]);
    try {
      const envelope = await signet().createEnvelope(
        draftInput(draft),
        draft.documents.map((d) => ({ name: d.file.name, bytes: d.file })),
        { send },
      );
      done.current = true;
      toast(
        send ? t('compose.sent', { title: envelope.title }) : t('compose.saved', { title: envelope.title }),
      );
      navigate(`/app/envelopes/${envelope.id}`);
    } catch (error) {
      onError(error);
      const detail =
        error instanceof SignetApiError && error.errors.length > 0
          ? error.errors.map((e) => `${describeProblemPath(e.path, draft, t)}: ${e.message}`)
          : [];
      setProblems([problemMessage(error, t), ...detail]);
      setBusy(undefined);
    }
  };

  return (
    <div className="page page-wide">
      <h1>{t('compose.title')}</h1>
      <nav aria-label={t('compose.steps')}>
        <ol className="stepper">
          {STEPS.map((name, i) => (
            <li key={name}>
              <button
                type="button"
                className="step-button"
                aria-current={name === step ? 'step' : undefined}
                disabled={name !== 'documents' && draft.documents.length === 0}
                onClick={() => go(name)}
              >
                <span className="step-number" aria-hidden="true">
                  {i + 1}
                </span>
                {t(`compose.step.${name}`)}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <section className="step-body" aria-labelledby="step-heading">
        <h2 id="step-heading" ref={heading} tabIndex={-1}>
          {t(`compose.step.${step}`)}
        </h2>
        {step === 'documents' && <DocumentsStep draft={draft} update={setDraft} />}
        {step === 'recipients' && <RecipientsStep draft={draft} update={setDraft} />}
        {step === 'fields' && (
          <FieldEditor draft={draft} update={setDraft} onGoToRecipients={() => go('recipients')} />
        )}
        {step === 'review' && <ReviewStep draft={draft} />}
      </section>
      {problems.length > 0 && (
        <Alert>
          <p>{t('compose.problems.heading')}</p>
          <ul>
            {problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </Alert>
      )}
      <div className="step-actions">
        {index > 0 && (
          <button type="button" className="button button-secondary" onClick={() => go(STEPS[index - 1]!)}>
            {t('compose.back')}
          </button>
        )}
        <span className="spacer" />
        {draft.documents.length > 0 && (
          <button
            type="button"
            className="button button-secondary"
            disabled={busy !== undefined}
            onClick={() => void submit(false)}
          >
            {busy === 'draft' ? t('compose.saving') : t('compose.saveDraft')}
          </button>
        )}
        {step === 'review' ? (
          <button
            type="button"
            className="button button-primary"
            disabled={busy !== undefined}
            onClick={() => void submit(true)}
          >
            {busy === 'send' ? t('compose.sending') : t('compose.send')}
          </button>
        ) : (
          <button
            type="button"
            className="button button-primary"
            disabled={draft.documents.length === 0}
            onClick={() => go(STEPS[index + 1]!)}
          >
            {t('compose.next')}
          </button>
        )}
      </div>
    </div>
  );
}
