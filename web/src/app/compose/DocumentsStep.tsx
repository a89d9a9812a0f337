import { useId, useState } from 'react';
import { useDropzone } from 'react-dropzone';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../lib/format.ts';
import { Alert } from '../ui/Alert.tsx';
import { type Draft, type DraftDocument, newKey } from './model.ts';
import { openPdf } from './pdf.ts';

/** The documents (PDFs dropped or chosen, several at once), the title and the message. */
export function DocumentsStep({
  draft,
  update,
}: {
  draft: Draft;
  update(change: (d: Draft) => Draft): void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const [problems, setProblems] = useState<string[]>([]);
  const [opening, setOpening] = useState(0);
  const titleId = useId();
  const messageId = useId();

  const addFiles = async (files: File[]) => {
    setProblems([]);
    setOpening((n) => n + files.length);
    const opened: DraftDocument[] = [];
    const refused: string[] = [];
    for (const file of files) {
      try {
        opened.push({
          key: newKey('document'),
          file,
          opened: await openPdf(new Uint8Array(await file.arrayBuffer())),
        });
      } catch (error) {
        const name = (error as { name?: string }).name;
        refused.push(
          t(name === 'PasswordException' ? 'compose.documents.encrypted' : 'compose.documents.unreadable', {
            name: file.name,
          }),
        );
      } finally {
        setOpening((n) => n - 1);
      }
    }
    setProblems(refused);
    if (opened.length === 0) return;
    update((d) => ({
      ...d,
      // The first document names the envelope until the sender gives it a title.
      title: d.title || (opened[0]?.file.name.replace(/\.pdf$/i, '') ?? ''),
      documents: [...d.documents, ...opened],
    }));
  };

  const { getRootProps, getInputProps, isDragActive, open } = useDropzone({
    accept: { 'application/pdf': ['.pdf'] },
    multiple: true,
    noClick: true,
    noKeyboard: true,
    onDrop: (accepted, rejected) => {
      if (rejected.length > 0)
        setProblems(rejected.map((r) => t('compose.documents.notPdf', { name: r.file.name })));
      if (accepted.length > 0) void addFiles(accepted);
    },
  });

  const move = (index: number, by: number) =>
    update((d) => {
      const documents = [...d.documents];
      const [moved] = documents.splice(index, 1);
      if (moved) documents.splice(index + by, 0, moved);
      return { ...d, documents };
    });
  const remove = (key: string) =>
    update((d) => ({
      ...d,
      documents: d.documents.filter((doc) => doc.key !== key),
      fields: d.fields.filter((f) => f.documentKey !== key),
    }));

  return (
    <div className="stack">
      <div {...getRootProps({ className: `dropzone${isDragActive ? ' active' : ''}` })}>
        <input {...getInputProps({ 'aria-label': t('compose.documents.choose') })} />
        <p>{isDragActive ? t('compose.documents.dropNow') : t('compose.documents.drop')}</p>
        <button type="button" className="button button-secondary" onClick={open}>
          {t('compose.documents.choose')}
        </button>
      </div>
      {opening > 0 && (
        <p role="status" className="hint">
          {t('compose.documents.opening')}
        </p>
      )}
      {problems.length > 0 && (
        <Alert>
          <ul className="plain">
            {problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </Alert>
      )}
      {draft.documents.length > 0 && (
        <ol className="document-list">
          {draft.documents.map((document, index) => (
            <li key={document.key}>
              <span className="document-name">{document.file.name}</span>
              <span className="hint">
                {t('compose.documents.pages', { count: document.opened.pages.length })} ·{' '}
                {format.bytes(document.file.size)}
              </span>
              <span className="row-actions">
                {draft.documents.length > 1 && (
                  <>
                    <button
                      type="button"
                      className="button button-small"
                      disabled={index === 0}
                      onClick={() => move(index, -1)}
                      aria-label={t('compose.documents.up', { name: document.file.name })}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      className="button button-small"
                      disabled={index === draft.documents.length - 1}
                      onClick={() => move(index, 1)}
                      aria-label={t('compose.documents.down', { name: document.file.name })}
                    >
                      ↓
                    </button>
                  </>
                )}
                <button
                  type="button"
                  className="button button-small button-danger"
                  onClick={() => remove(document.key)}
                  aria-label={t('compose.documents.remove', { name: document.file.name })}
                >
                  {t('common.remove')}
                </button>
              </span>
            </li>
          ))}
        </ol>
      )}
      <div className="field">
        <label htmlFor={titleId}>{t('compose.documents.title')}</label>
        <input
          id={titleId}
          required
          maxLength={500}
          value={draft.title}
          onChange={(event) => update((d) => ({ ...d, title: event.target.value }))}
        />
      </div>
      <div className="field">
        <label htmlFor={messageId}>{t('compose.documents.message')}</label>
        <textarea
          id={messageId}
          rows={4}
          maxLength={10_000}
          value={draft.message}
          aria-describedby={`${messageId}-hint`}
          onChange={(event) => update((d) => ({ ...d, message: event.target.value }))}
        />
        <p id={`${messageId}-hint`} className="hint">
          {t('compose.documents.messageHint')}
        </p>
      </div>
    </div>
  );
}
