import { type CSSProperties, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { useTranslation } from 'react-i18next';
import { Rnd } from 'react-rnd';
import {
  type Box,
  clampToPage,
  MIN_SIZE,
  type PageBox,
  pointsPerPixel,
  roundBox,
  toPixels,
} from './geometry.ts';
import {
  colourOf,
  DEFAULT_SIZE,
  type Draft,
  type DraftField,
  type DraftRecipient,
  FIELD_TYPES,
  type FieldType,
  newKey,
  placesFields,
} from './model.ts';
import { PdfPage } from './PdfPage.tsx';
import { usePageWidth } from './usePageWidth.ts';

/*
 * Placing fields: a palette of the API's field types, dragged onto the pages (pointer events,
 * so mouse, pen and touch alike) or added with a click or Enter to the page in view; each
 * placed field moves and resizes with react-rnd, and with the keyboard (arrows move, Shift +
 * arrows resize, Delete removes). The list of placed fields offers the same with plain
 * controls. Boxes are held in points (./geometry.ts) and drawn in pixels of the current width.
 */

interface Props {
  draft: Draft;
  update(change: (draft: Draft) => Draft): void;
  onGoToRecipients(): void;
}

/** A keyboard step in points; with Ctrl (or ⌘) ten times more. */
const STEP = 2;
const BIG_STEP = 10;
/** New fields added by click start here, each a little below the last so none hides another. */
const CASCADE = 14;

export function FieldEditor({ draft, update, onGoToRecipients }: Props) {
  const { t } = useTranslation();
  const signers = draft.recipients.filter(placesFields);
  // Fields of a recipient whose role changed from signer are not sent (model.ts#draftInput).
  const fields = draft.fields.filter((f) => signers.some((s) => s.key === f.recipientKey));
  const [activeKey, setActiveKey] = useState<string | undefined>(signers[0]?.key);
  const active = signers.find((r) => r.key === activeKey) ?? signers[0];
  const [selected, setSelected] = useState<string>();
  const [focusKey, setFocusKey] = useState<string>();
  const [announcement, setAnnouncement] = useState('');
  const [ghost, setGhost] = useState<{ type: FieldType; x: number; y: number }>();
  const { column, width } = usePageWidth<HTMLDivElement>();
  const fieldElements = useRef(new Map<string, HTMLElement>());
  const palette = useRef<HTMLFieldSetElement>(null);
  const hintId = useId();

  const colour = (recipientKey: string) =>
    colourOf(
      Math.max(
        0,
        draft.recipients.findIndex((r) => r.key === recipientKey),
      ),
    );
  const nameOf = (recipientKey: string) => {
    const recipient = draft.recipients.find((r) => r.key === recipientKey);
    return recipient?.name.trim() || recipient?.email.trim() || t('compose.recipients.unnamed');
  };
  const documentOf = (documentKey: string) => draft.documents.find((d) => d.key === documentKey);
  const pageBoxOf = (field: Pick<DraftField, 'documentKey' | 'page'>): PageBox | undefined =>
    documentOf(field.documentKey)?.opened.pages[field.page - 1];

  // Focus follows a field just added or the one after a removed one, once it is on screen.
  useEffect(() => {
    if (!focusKey) return;
    const element = fieldElements.current.get(focusKey);
    if (element) {
      element.focus();
      setFocusKey(undefined);
    }
  });

  const change = (key: string, next: Partial<Box> & Partial<Pick<DraftField, 'recipientKey' | 'required'>>) =>
    update((d) => ({
      ...d,
      fields: d.fields.map((f) => {
        if (f.key !== key) return f;
        const merged = { ...f, ...next };
        const page = pageBoxOf(merged);
        return page ? { ...merged, ...roundBox(clampToPage(merged, page)) } : merged;
      }),
    }));

  const remove = (key: string) => {
    const index = fields.findIndex((f) => f.key === key);
    const field = fields[index];
    const following = fields[index + 1] ?? fields[index - 1];
    update((d) => ({ ...d, fields: d.fields.filter((f) => f.key !== key) }));
    setSelected(undefined);
    if (field) setAnnouncement(t('compose.fields.removed', { type: t(`fieldTypes.${field.type}`) }));
    if (following) setFocusKey(following.key);
    else palette.current?.querySelector('button')?.focus();
  };

  const add = (type: FieldType, documentKey: string, page: number, centre?: { x: number; y: number }) => {
    if (!active) return;
    const box = documentOf(documentKey)?.opened.pages[page - 1];
    if (!box) return;
    const size = DEFAULT_SIZE[type];
    const onPage = draft.fields.filter((f) => f.documentKey === documentKey && f.page === page).length;
    const at = centre ?? {
      x: box.width / 2,
      y: Math.min(box.height / 3 + (onPage % 12) * CASCADE, box.height - size.height / 2),
    };
    const placed = roundBox(
      clampToPage({ x: at.x - size.width / 2, y: at.y - size.height / 2, ...size }, box),
    );
    const field: DraftField = {
      key: newKey('field'),
      recipientKey: active.key,
      documentKey,
      page,
      type,
      required: type !== 'checkbox',
      ...placed,
    };
    update((d) => ({ ...d, fields: [...d.fields, field] }));
    setSelected(field.key);
    setFocusKey(field.key);
    setAnnouncement(
      t('compose.fields.added', { type: t(`fieldTypes.${type}`), name: nameOf(active.key), page }),
    );
  };

  /** The page nearest the middle of the window: where a field added by click or keyboard goes. */
  const pageInView = (): { documentKey: string; page: number } | undefined => {
    const slots = [...(column.current?.querySelectorAll<HTMLElement>('[data-page-slot]') ?? [])];
    const middle = window.innerHeight / 2;
    let best: { element: HTMLElement; distance: number } | undefined;
    for (const element of slots) {
      const rect = element.getBoundingClientRect();
      const distance =
        rect.top <= middle && rect.bottom >= middle
          ? 0
          : Math.min(Math.abs(rect.top - middle), Math.abs(rect.bottom - middle));
      if (!best || distance < best.distance) best = { element, distance };
    }
    const element = best?.element;
    if (!element) return undefined;
    return { documentKey: element.dataset.documentKey!, page: Number(element.dataset.pageNumber) };
  };

  /** A palette item let go at (clientX, clientY): the field's centre goes there, if it is over a page. */
  const drop = (type: FieldType, clientX: number, clientY: number) => {
    const slot = document
      .elementsFromPoint(clientX, clientY)
      .find(
        (element): element is HTMLElement =>
          element instanceof HTMLElement && element.dataset.pageSlot === 'true',
      );
    if (!slot) return;
    const documentKey = slot.dataset.documentKey!;
    const page = Number(slot.dataset.pageNumber);
    const box = documentOf(documentKey)?.opened.pages[page - 1];
    if (!box) return;
    const rect = slot.getBoundingClientRect();
    const scale = pointsPerPixel(box, rect.width);
    add(type, documentKey, page, { x: (clientX - rect.left) * scale, y: (clientY - rect.top) * scale });
  };

  if (signers.length === 0) {
    return (
      <div className="empty">
        <p>{t('compose.fields.noSigners')}</p>
        <button type="button" className="button button-secondary" onClick={onGoToRecipients}>
          {t('compose.fields.toRecipients')}
        </button>
      </div>
    );
  }

  const ghostScale = draft.documents[0]?.opened.pages[0]
    ? pointsPerPixel(draft.documents[0].opened.pages[0], width || 1)
    : 1;

  return (
    <div className="field-editor">
      <div className="field-sidebar">
        <aside className="field-tools" aria-label={t('compose.fields.tools')}>
          <fieldset className="recipient-picker">
            <legend>{t('compose.fields.for')}</legend>
            {signers.map((signer) => (
              <label
                key={signer.key}
                className="recipient-chip"
                style={{ '--colour': colour(signer.key) } as CSSProperties}
              >
                <input
                  type="radio"
                  name="active-recipient"
                  checked={signer.key === active?.key}
                  onChange={() => setActiveKey(signer.key)}
                />
                <span className="swatch" aria-hidden="true" />
                {nameOf(signer.key)}
              </label>
            ))}
          </fieldset>
          <fieldset ref={palette} className="palette">
            <legend className="visually-hidden">{t('compose.fields.palette')}</legend>
            {FIELD_TYPES.map((type) => (
              <PaletteButton
                key={type}
                type={type}
                colour={active ? colour(active.key) : undefined}
                onDragMove={(x, y) => setGhost({ type, x, y })}
                onDragEnd={(x, y) => {
                  setGhost(undefined);
                  if (x !== undefined && y !== undefined) drop(type, x, y);
                }}
                onActivate={() => {
                  const target =
                    pageInView() ?? (draft.documents[0] && { documentKey: draft.documents[0].key, page: 1 });
                  if (target) add(type, target.documentKey, target.page);
                }}
              />
            ))}
          </fieldset>
          <p id={hintId} className="hint">
            {t('compose.fields.keyboardHint')}
          </p>
        </aside>
        <PlacedList
          draft={draft}
          fields={fields}
          signers={signers}
          selected={selected}
          colour={colour}
          nameOf={nameOf}
          onChange={change}
          onRemove={remove}
          onShow={(key) => {
            setSelected(key);
            const element = fieldElements.current.get(key);
            element?.scrollIntoView({ block: 'center' });
            element?.focus();
          }}
        />
      </div>
      <div ref={column} className="pages-column">
        {width > 0 &&
          draft.documents.map((document) => (
            <section key={document.key} className="document-pages" aria-label={document.file.name}>
              <h3 className="document-heading">{document.file.name}</h3>
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
                    slot={{ documentKey: document.key }}
                  >
                    {fields
                      .filter((f) => f.documentKey === document.key && f.page === page)
                      .map((field) => (
                        <FieldBox
                          key={field.key}
                          field={field}
                          scale={scale}
                          colour={colour(field.recipientKey)}
                          label={t('compose.fields.label', {
                            type: t(`fieldTypes.${field.type}`),
                            name: nameOf(field.recipientKey),
                            page,
                          })}
                          hintId={hintId}
                          selected={selected === field.key}
                          onSelect={() => setSelected(field.key)}
                          onChange={(box) => change(field.key, box)}
                          onRemove={() => remove(field.key)}
                          register={(element) => {
                            if (element) fieldElements.current.set(field.key, element);
                            else fieldElements.current.delete(field.key);
                          }}
                        />
                      ))}
                  </PdfPage>
                );
              })}
            </section>
          ))}
      </div>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {ghost &&
        createPortal(
          <div
            className="field-ghost"
            style={{
              left: ghost.x,
              top: ghost.y,
              width: DEFAULT_SIZE[ghost.type].width / ghostScale,
              height: DEFAULT_SIZE[ghost.type].height / ghostScale,
              ...({ '--colour': active ? colour(active.key) : undefined } as CSSProperties),
            }}
            aria-hidden="true"
          >
            {t(`fieldTypes.${ghost.type}`)}
          </div>,
          document.body,
        )}
    </div>
  );
}

/** Moves past this many pixels before a press on a palette item becomes a drag. */
const DRAG_THRESHOLD = 4;

function PaletteButton({
  type,
  colour,
  onDragMove,
  onDragEnd,
  onActivate,
}: {
  type: FieldType;
  colour: string | undefined;
  onDragMove(x: number, y: number): void;
  onDragEnd(x?: number, y?: number): void;
  onActivate(): void;
}) {
  const { t } = useTranslation();
  const dragged = useRef(false);
  const startDrag = (event: React.PointerEvent<HTMLButtonElement>) => {
    if (event.button !== 0) return;
    const start = { x: event.clientX, y: event.clientY };
    dragged.current = false;
    const move = (e: PointerEvent) => {
      if (!dragged.current && Math.hypot(e.clientX - start.x, e.clientY - start.y) < DRAG_THRESHOLD) return;
      dragged.current = true;
      e.preventDefault();
      onDragMove(e.clientX, e.clientY);
    };
    const finish = (e: PointerEvent) => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', finish);
      window.removeEventListener('pointercancel', finish);
      if (!dragged.current) return;
      onDragEnd(e.type === 'pointerup' ? e.clientX : undefined, e.clientY);
      // The click that may follow this release (when it ends over the button) comes before any
      // timer; after that, the button clicks again.
      setTimeout(() => {
        dragged.current = false;
      });
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', finish);
    window.addEventListener('pointercancel', finish);
  };
  return (
    <button
      type="button"
      className="palette-item"
      style={{ '--colour': colour } as CSSProperties}
      onPointerDown={startDrag}
      onClick={() => {
        // A drag that ends over the button itself is not a click.
        if (dragged.current) {
          dragged.current = false;
          return;
        }
        onActivate();
      }}
      aria-label={t('compose.fields.add', { type: t(`fieldTypes.${type}`) })}
    >
      <span aria-hidden="true" className={`palette-icon palette-icon-${type}`} />
      {t(`fieldTypes.${type}`)}
    </button>
  );
}

function FieldBox({
  field,
  scale,
  colour,
  label,
  hintId,
  selected,
  onSelect,
  onChange,
  onRemove,
  register,
}: {
  field: DraftField;
  /** Points per pixel. */
  scale: number;
  colour: string;
  label: string;
  hintId: string;
  selected: boolean;
  onSelect(): void;
  onChange(box: Partial<Box>): void;
  onRemove(): void;
  register(element: HTMLElement | null): void;
}) {
  const { t } = useTranslation();
  const px = toPixels(field, scale);
  const keys = (event: KeyboardEvent<HTMLButtonElement>) => {
    const step = event.ctrlKey || event.metaKey ? BIG_STEP : STEP;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    const delta = moves[event.key];
    if (delta) {
      event.preventDefault();
      const [dx, dy] = delta;
      if (event.shiftKey) onChange({ width: field.width + dx, height: field.height + dy });
      else onChange({ x: field.x + dx, y: field.y + dy });
    } else if (event.key === 'Delete' || event.key === 'Backspace') {
      event.preventDefault();
      onRemove();
    } else if (event.key === 'Escape') {
      event.currentTarget.blur();
    }
  };
  return (
    <Rnd
      bounds="parent"
      position={{ x: px.x, y: px.y }}
      size={{ width: px.width, height: px.height }}
      minWidth={MIN_SIZE / scale}
      minHeight={MIN_SIZE / scale}
      className={`placed-field${selected ? ' selected' : ''}`}
      style={{ '--colour': colour } as CSSProperties}
      onDragStart={onSelect}
      onDragStop={(_event, data) => onChange({ x: data.x * scale, y: data.y * scale })}
      onResizeStart={onSelect}
      onResizeStop={(_event, _direction, element, _delta, position) =>
        onChange({
          x: position.x * scale,
          y: position.y * scale,
          width: element.offsetWidth * scale,
          height: element.offsetHeight * scale,
        })
      }
    >
      <button
        type="button"
        ref={register}
        className="placed-field-body"
        aria-label={`${label}${field.required ? `, ${t('compose.fields.required')}` : ''}`}
        aria-describedby={hintId}
        aria-pressed={selected}
        data-field-type={field.type}
        onFocus={onSelect}
        onKeyDown={keys}
      >
        <span className="placed-field-label">{t(`fieldTypes.${field.type}`)}</span>
      </button>
    </Rnd>
  );
}

function PlacedList({
  draft,
  fields,
  signers,
  selected,
  colour,
  nameOf,
  onChange,
  onRemove,
  onShow,
}: {
  draft: Draft;
  fields: DraftField[];
  signers: DraftRecipient[];
  selected: string | undefined;
  colour(recipientKey: string): string;
  nameOf(recipientKey: string): string;
  onChange(key: string, change: Partial<Pick<DraftField, 'recipientKey' | 'required'>>): void;
  onRemove(key: string): void;
  onShow(key: string): void;
}) {
  const { t } = useTranslation();
  const headingId = useId();
  const documentIndex = new Map(draft.documents.map((d, index) => [d.key, index]));
  const ordered = [...fields].sort(
    (a, b) =>
      (documentIndex.get(a.documentKey) ?? 0) - (documentIndex.get(b.documentKey) ?? 0) ||
      a.page - b.page ||
      a.y - b.y ||
      a.x - b.x,
  );
  return (
    <section className="placed-list" aria-labelledby={headingId}>
      <h3 id={headingId}>{t('compose.fields.placed', { count: fields.length })}</h3>
      {ordered.length === 0 ? (
        <p className="hint">{t('compose.fields.none')}</p>
      ) : (
        <ul className="placed-items">
          {ordered.map((field) => {
            const document = draft.documents.find((d) => d.key === field.documentKey);
            return (
              <li
                key={field.key}
                className={selected === field.key ? 'selected' : undefined}
                style={{ '--colour': colour(field.recipientKey) } as CSSProperties}
              >
                <p className="placed-summary">
                  <span className="swatch" aria-hidden="true" />
                  <strong>{t(`fieldTypes.${field.type}`)}</strong>{' '}
                  {t('compose.fields.where', {
                    page: field.page,
                    document: document?.file.name ?? '',
                  })}
                </p>
                <div className="placed-controls">
                  <label>
                    <span className="visually-hidden">
                      {t('compose.fields.recipientOf', {
                        type: t(`fieldTypes.${field.type}`),
                        page: field.page,
                      })}
                    </span>
                    <select
                      value={field.recipientKey}
                      onChange={(event) => onChange(field.key, { recipientKey: event.target.value })}
                    >
                      {signers.map((signer) => (
                        <option key={signer.key} value={signer.key}>
                          {nameOf(signer.key)}
                        </option>
                      ))}
                    </select>
                  </label>
                  <label className="checkbox">
                    <input
                      type="checkbox"
                      checked={field.required}
                      onChange={(event) => onChange(field.key, { required: event.target.checked })}
                    />
                    {t('compose.fields.requiredToggle')}
                  </label>
                  <button type="button" className="button button-small" onClick={() => onShow(field.key)}>
                    {t('compose.fields.show')}
                    <span className="visually-hidden">
                      {' '}
                      {t('compose.fields.label', {
                        type: t(`fieldTypes.${field.type}`),
                        name: nameOf(field.recipientKey),
                        page: field.page,
                      })}
                    </span>
                  </button>
                  <button
                    type="button"
                    className="button button-small button-danger"
                    onClick={() => onRemove(field.key)}
                  >
                    {t('compose.fields.delete')}
                    <span className="visually-hidden">
                      {' '}
                      {t('compose.fields.label', {
                        type: t(`fieldTypes.${field.type}`),
                        name: nameOf(field.recipientKey),
                        page: field.page,
                      })}
                    </span>
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
