import { type CSSProperties, useCallback, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { AdoptDialog } from './AdoptDialog.tsx';
import { DeclineDialog } from './DeclineDialog.tsx';
import { DocumentSection } from './DocumentPages.tsx';
import { notifyParent } from './embedding.ts';
import { boxStyle, displayedSize, type PageSize } from './geometry.ts';
import { initialsOf, pngBase64 } from './marks.ts';
import { forgetSaved, type Mark, type Saved } from './saved.ts';
import { type AdoptedMarkBody, type Field, problemOf, type SigningSession, signerApi } from './signerApi.ts';

/*
 * The documents with the signer's fields where the sender placed them, a guide to the next
 * field and a count of what is left, and the way out: finish (sign, approve, acknowledge) or
 * decline. Fields are in reading order — document, page, top to bottom, left to right — which
 * is also their tab order, so the whole ceremony can be done with the keyboard.
 */

type Editable = Extract<Field['type'], 'text' | 'checkbox'>;
const isEditable = (field: Field): field is Field & { type: Editable } =>
  field.type === 'text' || field.type === 'checkbox';
const isMark = (field: Field) => field.type === 'signature' || field.type === 'initials';

interface Adopting {
  purpose: 'signature' | 'initials';
  /** The field the signer chose, which the adopted signature goes into. */
  fieldId?: string;
  /** Adopting was the last thing missing before finishing. */
  thenFinish?: boolean;
}

export interface ReviewProps {
  token: string;
  session: SigningSession;
  saved: Saved;
  update(change: (saved: Saved) => Saved): void;
  onSession(session: SigningSession): void;
  describeProblem(code: string, detail: string): string;
}

export function Review({ token, session, saved, update, onSession, describeProblem }: ReviewProps) {
  const { t, i18n } = useTranslation();
  const role = session.recipient.role;
  const [opened, setOpened] = useState(
    () => new Set(session.documents.filter((d) => d.viewed).map((d) => d.id)),
  );
  const [adopting, setAdopting] = useState<Adopting | null>(null);
  const [declining, setDeclining] = useState(false);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ text: string; error?: boolean } | null>(null);
  const finishRef = useRef<HTMLButtonElement>(null);

  const onOpened = useCallback(
    (id: string) => setOpened((current) => (current.has(id) ? current : new Set(current).add(id))),
    [],
  );

  const fields = useMemo(() => {
    const order = new Map(session.documents.map((d, i) => [d.id, i]));
    return [...session.fields].sort(
      (a, b) =>
        (order.get(a.documentId) ?? 0) - (order.get(b.documentId) ?? 0) ||
        a.page - b.page ||
        a.y - b.y ||
        a.x - b.x,
    );
  }, [session.fields, session.documents]);

  const currentValue = (field: Field) => (field.id in saved.values ? saved.values[field.id] : field.value);
  const isDone = (field: Field) => {
    if (isMark(field)) return saved.applied.includes(field.id);
    const value = currentValue(field);
    if (field.type === 'checkbox') return value === true;
    if (field.type === 'text') return typeof value === 'string' && value.trim() !== '';
    return true; // date, name and email are filled in when finishing
  };
  const toDo = fields.filter((f) => (isMark(f) || (isEditable(f) && f.required)) && !isDone(f));
  const unopened = session.documents.filter((d) => !opened.has(d.id));

  function focusField(field: Field) {
    const element = document.getElementById(`field-${field.id}`);
    element?.scrollIntoView({ block: 'center', behavior: 'smooth' });
    element?.focus({ preventScroll: true });
  }

  function goToNext(after?: Field) {
    const start = after ? fields.indexOf(after) + 1 : 0;
    const next = [...fields.slice(start), ...fields.slice(0, start)].find(
      (f) => toDo.includes(f) && f !== after,
    );
    if (next) return focusField(next);
    const document = unopened[0];
    if (document) {
      const section = window.document.getElementById(`document-${document.id}`);
      section?.scrollIntoView({ block: 'start', behavior: 'smooth' });
      section?.focus({ preventScroll: true });
      setStatus({ text: t('review.openDocument', { name: document.name }) });
      return;
    }
    finishRef.current?.focus();
  }

  function applyMark(field: Field) {
    const mark = field.type === 'signature' ? saved.signature : saved.initials;
    if (saved.applied.includes(field.id)) {
      update((s) => ({ ...s, applied: s.applied.filter((id) => id !== field.id) }));
      setStatus({ text: t('review.removed') });
      return;
    }
    if (!mark) {
      setAdopting({ purpose: field.type === 'signature' ? 'signature' : 'initials', fieldId: field.id });
      return;
    }
    update((s) => ({ ...s, applied: [...s.applied, field.id] }));
    setStatus({ text: field.type === 'signature' ? t('review.signed') : t('review.initialled') });
  }

  function adopted(mark: Mark) {
    const request = adopting;
    if (!request) return;
    if (request.purpose === 'signature') {
      update((s) => ({
        ...s,
        signature: mark,
        applied:
          request.fieldId && !s.applied.includes(request.fieldId)
            ? [...s.applied, request.fieldId]
            : s.applied,
      }));
      setStatus({ text: t('review.signatureAdopted') });
    } else {
      // Initials go into every initials field at once.
      const all = fields.filter((f) => f.type === 'initials').map((f) => f.id);
      update((s) => ({ ...s, initials: mark, applied: [...new Set([...s.applied, ...all])] }));
      setStatus({ text: t('review.initialsAdopted', { count: all.length }) });
    }
    if (request.thenFinish) void finish(mark);
  }

  function setValue(field: Field, value: string | boolean) {
    update((s) => ({ ...s, values: { ...s.values, [field.id]: value } }));
  }

  async function saveValue(field: Field) {
    if (!(field.id in saved.values)) return;
    try {
      await signerApi.saveFields(token, { [field.id]: saved.values[field.id] ?? null });
    } catch (error) {
      const { code, detail } = problemOf(error);
      setStatus({ text: describeProblem(code, detail), error: true });
    }
  }

  async function finish(justAdopted?: Mark) {
    setStatus(null);
    if (toDo.length > 0) {
      setStatus({ text: t('review.stillLeft', { count: toDo.length }), error: true });
      return goToNext();
    }
    if (unopened.length > 0) return goToNext();
    const signature = justAdopted ?? saved.signature;
    if (role === 'signer' && !signature) {
      setAdopting({ purpose: 'signature', thenFinish: true });
      return;
    }
    setBusy(true);
    try {
      const values = Object.fromEntries(
        fields.filter(isEditable).map((f) => [f.id, currentValue(f) ?? null] as const),
      );
      if (Object.keys(values).length > 0) await signerApi.saveFields(token, values);
      const body =
        role === 'signer' && signature
          ? {
              signature: markBody(signature),
              ...(saved.initials ? { initials: markBody(saved.initials) } : {}),
            }
          : {};
      const done = await signerApi.finish(token, body);
      notifyParent('signet:signed', {
        envelopeId: done.envelope.id,
        recipientId: done.recipient.id,
        role,
        envelopeStatus: done.envelope.status,
      });
      forgetSaved(token);
      onSession(done);
    } catch (error) {
      const { code, detail } = problemOf(error);
      setStatus({ text: describeProblem(code, detail), error: true });
      notifyParent('signet:error', { code });
    } finally {
      setBusy(false);
    }
  }

  async function decline(reason: string): Promise<string | null> {
    try {
      const next = await signerApi.decline(token, reason);
      notifyParent('signet:declined', { envelopeId: next.envelope.id, recipientId: next.recipient.id });
      forgetSaved(token);
      setDeclining(false);
      onSession(next);
      return null;
    } catch (error) {
      const { code, detail } = problemOf(error);
      return describeProblem(code, detail);
    }
  }

  const finishLabel =
    role === 'signer'
      ? t('review.finish')
      : role === 'approver'
        ? t('review.approve')
        : t('review.acknowledge');
  const today = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium' }).format(new Date());
  const autoText: Partial<Record<Field['type'], string>> = {
    dateSigned: today,
    name: session.recipient.name,
    email: session.recipient.email,
  };
  const numbered = (field: Field) => {
    const same = fields.filter((f) => f.type === field.type);
    return { n: same.indexOf(field) + 1, count: same.length, page: field.page };
  };

  function overlay(documentId: string, page: number, size: PageSize) {
    const shown = displayedSize(size);
    return fields
      .filter((f) => f.documentId === documentId && f.page === page)
      .map((field) => {
        const style: CSSProperties = {
          ...boxStyle(field, size),
          // Text scales with the page: a share of the page's width (the page is a size container).
          fontSize: `${Math.max(0.8, ((field.height * 0.55) / shown.width) * 100)}cqw`,
        };
        const done = isDone(field);
        const info = numbered(field);
        if (isMark(field)) {
          const mark = field.type === 'signature' ? saved.signature : saved.initials;
          const label =
            field.type === 'signature'
              ? t(done ? 'field.signatureDone' : 'field.signature', info)
              : t(done ? 'field.initialsDone' : 'field.initials', info);
          return (
            <button
              key={field.id}
              id={`field-${field.id}`}
              type="button"
              className={`field mark ${done ? 'done' : 'todo'}`}
              style={style}
              aria-label={label}
              aria-pressed={done}
              onClick={() => applyMark(field)}
            >
              {done && mark ? (
                <img src={mark.dataUrl} alt="" />
              ) : (
                <span className="field-cta" aria-hidden="true">
                  {field.type === 'signature' ? t('field.signHere') : t('field.initialHere')}
                </span>
              )}
            </button>
          );
        }
        if (field.type === 'text') {
          const value = currentValue(field);
          return (
            <input
              key={field.id}
              id={`field-${field.id}`}
              type="text"
              className={`field text ${done ? 'done' : field.required ? 'todo' : 'optional'}`}
              style={style}
              maxLength={2000}
              aria-label={t(field.required ? 'field.textRequired' : 'field.text', info)}
              aria-required={field.required}
              value={typeof value === 'string' ? value : ''}
              onChange={(event) => setValue(field, event.target.value)}
              onBlur={() => void saveValue(field)}
            />
          );
        }
        if (field.type === 'checkbox') {
          return (
            <span
              key={field.id}
              className={`field checkbox ${done ? 'done' : field.required ? 'todo' : 'optional'}`}
              style={style}
            >
              <input
                id={`field-${field.id}`}
                type="checkbox"
                aria-label={t(field.required ? 'field.checkboxRequired' : 'field.checkbox', info)}
                aria-required={field.required}
                checked={currentValue(field) === true}
                onChange={(event) => {
                  setValue(field, event.target.checked);
                  void signerApi
                    .saveFields(token, { [field.id]: event.target.checked })
                    .catch((error: unknown) => {
                      const { code, detail } = problemOf(error);
                      setStatus({ text: describeProblem(code, detail), error: true });
                    });
                }}
              />
            </span>
          );
        }
        return (
          <span key={field.id} className="field auto" style={style} title={t(`field.auto.${field.type}`)}>
            <span className="visually-hidden">{t(`field.auto.${field.type}`)}: </span>
            {autoText[field.type]}
          </span>
        );
      });
  }

  const left = toDo.length;
  return (
    <>
      <section className="guide" aria-label={t('review.guide')}>
        <p className="guide-count" aria-live="polite">
          {left > 0
            ? t('review.left', { count: left })
            : unopened.length > 0
              ? t('review.documentsLeft', { count: unopened.length })
              : t('review.ready')}
        </p>
        <div className="guide-actions">
          {saved.signature && role === 'signer' ? (
            <button
              type="button"
              className="link-button"
              onClick={() => setAdopting({ purpose: 'signature' })}
            >
              {t('review.changeSignature')}
            </button>
          ) : null}
          <button type="button" className="primary" onClick={() => goToNext()}>
            {left > 0 || unopened.length > 0 ? t('review.next') : t('review.toFinish')}
          </button>
        </div>
      </section>

      {session.envelope.message ? (
        <section className="card message" aria-label={t('review.messageFrom')}>
          <p className="muted small">{t('review.messageFrom')}</p>
          <p>{session.envelope.message}</p>
        </section>
      ) : null}

      {session.documents.map((document, index) => (
        <DocumentSection
          key={document.id}
          token={token}
          document={document}
          index={index}
          count={session.documents.length}
          onOpened={onOpened}
          overlay={(page, size) => overlay(document.id, page, size)}
        />
      ))}

      <p className="status" role="status" aria-live="polite">
        {status && !status.error ? status.text : ''}
      </p>
      {status?.error ? (
        <p className="notice error" role="alert">
          {status.text}
        </p>
      ) : null}

      <div className="actions-bar">
        {session.actions.canDecline ? (
          <button type="button" className="secondary" onClick={() => setDeclining(true)}>
            {t('review.decline')}
          </button>
        ) : null}
        <button
          ref={finishRef}
          type="button"
          className="primary finish"
          disabled={busy}
          aria-describedby="finish-hint"
          onClick={() => void finish()}
        >
          {busy ? t('review.finishing') : finishLabel}
        </button>
        <span id="finish-hint" className="visually-hidden">
          {left > 0 ? t('review.left', { count: left }) : ''}
        </span>
      </div>

      <AdoptDialog
        open={adopting !== null}
        purpose={adopting?.purpose ?? 'signature'}
        defaultText={
          adopting?.purpose === 'initials'
            ? initialsOf(saved.signature?.text ?? session.recipient.name)
            : session.recipient.name
        }
        current={adopting?.purpose === 'initials' ? saved.initials : saved.signature}
        onOpenChange={(open) => {
          if (!open) setAdopting(null);
        }}
        onAdopt={adopted}
      />
      <DeclineDialog open={declining} onOpenChange={setDeclining} onDecline={decline} />
    </>
  );
}

function markBody(mark: Mark): AdoptedMarkBody {
  const png = pngBase64(mark.dataUrl);
  return mark.kind === 'typed' ? { kind: 'typed', text: mark.text ?? '', png } : { kind: mark.kind, png };
}
