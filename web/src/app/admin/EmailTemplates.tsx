import type { Answer } from '@signet/sdk';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { signet } from '../../shared/api.ts';
import { problemMessage } from '../lib/problems.ts';
import { useApiErrors } from '../lib/useApiErrors.ts';
import { Alert, Spinner } from '../ui/Alert.tsx';
import { useToast } from '../ui/toasts.tsx';

/*
 * The organisation's mail wording: choose a kind and language, edit subject and body, save, and
 * preview the mail as a recipient would get it. The preview's HTML is the server's rendering of
 * a sample; it is shown in an iframe with an empty sandbox (no script, no navigation, its own
 * origin), so nothing in it can reach this page.
 */

type Template = Answer<'/api/v1/organization/email-templates', 'get'>['templates'][number];
type Kind = Template['kind'];
type Language = Template['language'];

export function EmailTemplates() {
  const { t } = useTranslation();
  const onError = useApiErrors();
  const toast = useToast();
  const [templates, setTemplates] = useState<Template[]>();
  const [kind, setKind] = useState<Kind>('invitation');
  const [language, setLanguage] = useState<Language>('en');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [preview, setPreview] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const kindId = useId();
  const languageId = useId();
  const subjectId = useId();
  const bodyId = useId();

  // biome-ignore lint/correctness/useExhaustiveDependencies: once, on arrival
  useEffect(() => {
    signet()
      .get('/api/v1/organization/email-templates')
      .then((answer) => setTemplates(answer.templates))
      .catch((error: unknown) => {
        onError(error);
        setProblem(problemMessage(error, t));
      });
  }, []);
  const current = templates?.find((one) => one.kind === kind && one.language === language);
  useEffect(() => {
    setSubject(current?.subject ?? '');
    setBody(current?.body ?? '');
    setPreview(undefined);
  }, [current]);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await work();
    } catch (error) {
      onError(error);
      setProblem(problemMessage(error, t));
    } finally {
      setBusy(false);
    }
  };
  const path = { params: { path: { kind } } };
  const save = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const saved = await signet().put('/api/v1/organization/email-templates/{kind}', {
        ...path,
        body: { language, subject, body },
      });
      setTemplates((all) =>
        all?.map((one) => (one.kind === saved.kind && one.language === saved.language ? saved : one)),
      );
      toast(t('settings.templateSaved'));
    });
  };
  const showPreview = () =>
    run(async () => {
      const answer = await signet().post('/api/v1/organization/email-templates/{kind}/preview', {
        ...path,
        body: { language, subject, body },
      });
      setPreview(answer.html);
    });

  return (
    <section className="card settings-section stack" aria-labelledby="settings-mail">
      <h2 id="settings-mail">{t('settings.mail')}</h2>
      {!templates && !problem && <Spinner label={t('common.loading')} />}
      {templates && (
        <form className="stack" onSubmit={save}>
          <div className="grid-2">
            <div className="field">
              <label htmlFor={kindId}>{t('settings.mailKind')}</label>
              <select id={kindId} value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
                {[...new Set(templates.map((one) => one.kind))].map((one) => (
                  <option key={one} value={one}>
                    {t(`settings.mailKinds.${one}`)}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={languageId}>{t('settings.mailLanguage')}</label>
              <select
                id={languageId}
                value={language}
                onChange={(event) => setLanguage(event.target.value as Language)}
              >
                <option value="en">English</option>
                <option value="de">Deutsch</option>
              </select>
            </div>
          </div>
          <div className="field">
            <label htmlFor={subjectId}>{t('settings.mailSubject')}</label>
            <input
              id={subjectId}
              required
              maxLength={250}
              value={subject}
              onChange={(event) => setSubject(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={bodyId}>{t('settings.mailBody')}</label>
            <textarea
              id={bodyId}
              required
              rows={8}
              maxLength={10000}
              value={body}
              aria-describedby={`${bodyId}-hint`}
              onChange={(event) => setBody(event.target.value)}
            />
            <p className="hint" id={`${bodyId}-hint`}>
              {t('settings.mailPlaceholders', {
                list: (current?.placeholders ?? []).map((name) => `{{${name}}}`).join(' '),
              })}
            </p>
          </div>
          {problem && <Alert>{problem}</Alert>}
          <div className="actions">
            <button type="button" className="button button-secondary" disabled={busy} onClick={showPreview}>
              {t('settings.preview')}
            </button>
            <button type="submit" className="button button-primary" disabled={busy}>
              {t('settings.saveTemplate')}
            </button>
          </div>
        </form>
      )}
      {!templates && problem && <Alert>{problem}</Alert>}
      {preview !== undefined && (
        <iframe className="mail-preview" title={t('settings.previewTitle')} sandbox="" srcDoc={preview} />
      )}
    </section>
  );
}
