import * as Tabs from '@radix-ui/react-tabs';
import type { CSSProperties } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../lib/format.ts';
import { pointsPerPixel, toPixels } from './geometry.ts';
import { colourOf, type Draft, type DraftField, type DraftRecipient, placesFields } from './model.ts';
import { PdfPage } from './PdfPage.tsx';
import { usePageWidth } from './usePageWidth.ts';

/** The envelope at a glance, in routing order, and each recipient's view of the documents. */
export function ReviewStep({ draft }: { draft: Draft }) {
  const { t } = useTranslation();
  const orders = [...new Set(draft.recipients.map((r) => r.routingOrder))].sort((a, b) => a - b);
  const first = draft.recipients[0];
  return (
    <div className="stack">
      <section className="card">
        <h3>{draft.title || t('compose.review.untitled')}</h3>
        {draft.message && <p className="message-preview">{draft.message}</p>}
        <p className="hint">{draft.documents.map((d) => d.file.name).join(', ')}</p>
        <ol className="routing">
          {orders.map((order) => (
            <li key={order}>
              <span className="routing-step">{t('compose.review.step', { order })}</span>
              <ul className="plain">
                {draft.recipients
                  .filter((r) => r.routingOrder === order)
                  .map((r) => (
                    <li key={r.key}>
                      <span
                        className="swatch"
                        style={{ '--colour': colourOf(draft.recipients.indexOf(r)) } as CSSProperties}
                        aria-hidden="true"
                      />{' '}
                      {r.name || r.email} · {t(`roles.${r.role}`)}
                      {placesFields(r) &&
                        ` · ${t('compose.review.fields', {
                          count: draft.fields.filter((f) => f.recipientKey === r.key).length,
                        })}`}
                    </li>
                  ))}
              </ul>
            </li>
          ))}
        </ol>
      </section>
      {first && draft.documents.length > 0 && (
        <section aria-labelledby="preview-heading">
          <h3 id="preview-heading">{t('compose.review.previewAs')}</h3>
          <Tabs.Root defaultValue={first.key}>
            <Tabs.List className="tabs" aria-label={t('compose.review.previewAs')}>
              {draft.recipients.map((r) => (
                <Tabs.Trigger key={r.key} value={r.key} className="tab">
                  {r.name || r.email || t('compose.recipients.unnamed')}
                </Tabs.Trigger>
              ))}
            </Tabs.List>
            {draft.recipients.map((r) => (
              <Tabs.Content key={r.key} value={r.key} className="tab-panel">
                <Preview draft={draft} recipient={r} />
              </Tabs.Content>
            ))}
          </Tabs.Root>
        </section>
      )}
    </div>
  );
}

function Preview({ draft, recipient }: { draft: Draft; recipient: DraftRecipient }) {
  const { t } = useTranslation();
  const { column, width } = usePageWidth<HTMLDivElement>();
  const own = placesFields(recipient) ? draft.fields.filter((f) => f.recipientKey === recipient.key) : [];
  return (
    <div className="preview" ref={column}>
      <p className="alert alert-info">
        {t(`compose.review.sees.${recipient.role}`, { name: recipient.name || recipient.email })}
      </p>
      {recipient.role !== 'cc' &&
        width > 0 &&
        draft.documents.map((document) => (
          <section key={document.key} className="document-pages" aria-label={document.file.name}>
            <h4 className="document-heading">{document.file.name}</h4>
            {document.opened.pages.map((box, index) => {
              const page = index + 1;
              const scale = pointsPerPixel(box, width);
              return (
                <PdfPage
                  key={page}
                  pdf={document.opened.pdf}
                  pageNumber={page}
                  box={box}
                  width={width}
                  label={t('compose.pageLabel', {
                    document: document.file.name,
                    page,
                    count: document.opened.pages.length,
                  })}
                >
                  {own
                    .filter((f) => f.documentKey === document.key && f.page === page)
                    .map((field) => (
                      <PreviewField key={field.key} field={field} scale={scale} recipient={recipient} />
                    ))}
                </PdfPage>
              );
            })}
          </section>
        ))}
    </div>
  );
}

/** A field as the signer will meet it: what they put there, or what Signet fills in for them. */
function PreviewField({
  field,
  scale,
  recipient,
}: {
  field: DraftField;
  scale: number;
  recipient: DraftRecipient;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const px = toPixels(field, scale);
  const text: Record<DraftField['type'], string> = {
    signature: t('compose.review.signHere'),
    initials: t('compose.review.initialsHere'),
    dateSigned: format.date(new Date().toISOString()),
    name: recipient.name,
    email: recipient.email,
    text: t('fieldTypes.text'),
    checkbox: '',
  };
  return (
    <div
      className={`preview-field preview-field-${field.type}`}
      style={{
        left: px.x,
        top: px.y,
        width: px.width,
        height: px.height,
        fontSize: fitText(text[field.type], px.width, px.height),
      }}
    >
      {text[field.type]}
      {field.required && field.type !== 'checkbox' && <span aria-hidden="true"> *</span>}
    </div>
  );
}

/** A font size (px) at which `text` fits its box: ~0.6 em per character, at most 16 px, at least 7. */
function fitText(text: string, width: number, height: number): number {
  const byWidth = (width - 8) / (0.6 * Math.max(1, text.length + 2));
  return Math.max(7, Math.min(16, height * 0.55, byWidth));
}
