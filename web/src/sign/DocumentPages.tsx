import type { PDFDocumentProxy, RenderTask } from 'pdfjs-dist';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { displayedSize, type PageSize } from './geometry.ts';
import { openPdf } from './pdf.ts';
import { type SigningDocument, signerApi } from './signerApi.ts';

/*
 * A document's pages, rendered lazily: every page has its place (its size is in the session,
 * so the scroll height is right before pdf.js has read a byte), but only the pages within
 * about a screen of the viewport hold a canvas. A page that scrolls away gives its canvas up,
 * so a 200-page contract costs a handful of canvases on a phone, not 200.
 */

/** How far beyond the viewport a page is drawn ahead of the scroll, and a document fetched. */
const PAGE_MARGIN = '100% 0px';
const DOCUMENT_MARGIN = '50% 0px';
/** Device pixels per CSS pixel, capped: a 3× phone screen would triple each canvas's memory. */
const MAX_PIXEL_RATIO = 2;
/** A canvas's largest area in pixels (about 16 MB of RGBA). */
const MAX_CANVAS_PIXELS = 4_000_000;

type Watch = (element: Element, onChange: (near: boolean) => void) => () => void;

/** One IntersectionObserver for every page on screen, not one each. */
const NearContext = createContext<Watch | null>(null);

function useNearWatcher(rootMargin: string): Watch {
  const [watch] = useState(() => {
    const callbacks = new Map<Element, (near: boolean) => void>();
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) callbacks.get(entry.target)?.(entry.isIntersecting);
      },
      { rootMargin },
    );
    const add: Watch = (element, onChange) => {
      callbacks.set(element, onChange);
      observer.observe(element);
      return () => {
        observer.unobserve(element);
        callbacks.delete(element);
      };
    };
    return add;
  });
  return watch;
}

export function NearPages({ children }: { children: ReactNode }) {
  const watch = useNearWatcher(PAGE_MARGIN);
  return <NearContext.Provider value={watch}>{children}</NearContext.Provider>;
}

function useNear(ref: React.RefObject<Element | null>, rootMargin?: string): boolean {
  const shared = useContext(NearContext);
  const [near, setNear] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    if (shared && !rootMargin) return shared(element, setNear);
    const observer = new IntersectionObserver(([entry]) => setNear(Boolean(entry?.isIntersecting)), {
      rootMargin: rootMargin ?? PAGE_MARGIN,
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref, shared, rootMargin]);
  return near;
}

export interface DocumentSectionProps {
  token: string;
  document: SigningDocument;
  index: number;
  count: number;
  onOpened(documentId: string): void;
  /** The fields (and anything else) shown over page `page` (1-based). */
  overlay(page: number, size: PageSize): ReactNode;
}

/** One document: its heading, and its pages once it comes near the viewport (fetching it is the audited view). */
export function DocumentSection({ token, document, index, count, onOpened, overlay }: DocumentSectionProps) {
  const { t } = useTranslation();
  const sectionRef = useRef<HTMLElement>(null);
  const near = useNear(sectionRef, DOCUMENT_MARGIN);
  const [pdf, setPdf] = useState<PDFDocumentProxy | null>(null);
  const [failed, setFailed] = useState(false);
  // Fetched the first time it comes near, then kept while the ceremony shows it; a retry
  // after a failure fetches it again.
  const [load, setLoad] = useState(0);
  useEffect(() => {
    if (near) setLoad((current) => Math.max(current, 1));
  }, [near]);

  useEffect(() => {
    if (load === 0) return;
    let cancelled = false;
    let opened: PDFDocumentProxy | null = null;
    setFailed(false);
    signerApi
      .document(token, document.id)
      .then((bytes) => {
        onOpened(document.id);
        return openPdf(bytes);
      })
      .then((loaded) => {
        opened = loaded;
        if (cancelled) void loaded.loadingTask.destroy();
        else setPdf(loaded);
      })
      .catch(() => {
        if (!cancelled) setFailed(true);
      });
    return () => {
      cancelled = true;
      setPdf(null);
      if (opened) void opened.loadingTask.destroy();
    };
  }, [load, token, document.id, onOpened]);

  return (
    <section
      ref={sectionRef}
      className="document"
      id={`document-${document.id}`}
      aria-labelledby={`document-title-${document.id}`}
      tabIndex={-1}
    >
      <h2 id={`document-title-${document.id}`} className="document-title">
        <span>{document.name}</span>
        <span className="muted">
          {count > 1 ? `${t('document.position', { index: index + 1, count })} · ` : ''}
          {t('document.pages', { count: document.pages })}
        </span>
      </h2>
      {failed ? (
        <div className="notice error" role="alert">
          <p>{t('document.failed')}</p>
          <button type="button" className="secondary" onClick={() => setLoad((current) => current + 1)}>
            {t('action.retry')}
          </button>
        </div>
      ) : null}
      <NearPages>
        <ol className="pages" aria-label={t('document.pagesOf', { name: document.name })}>
          {document.pageSizes.map((size, i) => (
            <PageView
              // biome-ignore lint/suspicious/noArrayIndexKey: pages are identified by their number
              key={i}
              pdf={pdf}
              pageNumber={i + 1}
              size={size}
              label={t('document.page', { page: i + 1, count: document.pages })}
            >
              {overlay(i + 1, size)}
            </PageView>
          ))}
        </ol>
      </NearPages>
    </section>
  );
}

interface PageViewProps {
  pdf: PDFDocumentProxy | null;
  pageNumber: number;
  size: PageSize;
  label: string;
  children: ReactNode;
}

function PageView({ pdf, pageNumber, size, label, children }: PageViewProps) {
  const ref = useRef<HTMLLIElement>(null);
  const near = useNear(ref);
  const shown = displayedSize(size);
  return (
    <li
      ref={ref}
      className="page"
      data-page={pageNumber}
      aria-label={label}
      style={{ aspectRatio: `${shown.width} / ${shown.height}` }}
    >
      {near && pdf ? <PageCanvas pdf={pdf} pageNumber={pageNumber} /> : null}
      {children}
    </li>
  );
}

/** The page drawn at the size it is shown, re-drawn when that changes; dropped (with its memory) on unmount. */
function PageCanvas({ pdf, pageNumber }: { pdf: PDFDocumentProxy; pageNumber: number }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [cssWidth, setCssWidth] = useState(0);

  useEffect(() => {
    const canvas = canvasRef.current;
    const parent = canvas?.parentElement;
    if (!canvas || !parent) return;
    const observer = new ResizeObserver(([entry]) => {
      const width = Math.round(entry?.contentRect.width ?? 0);
      // Small changes (a scrollbar appearing) keep the drawing; the browser scales it.
      setCssWidth((current) => (Math.abs(current - width) > 24 ? width : current));
    });
    observer.observe(parent);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || cssWidth === 0) return;
    let task: RenderTask | undefined;
    let cancelled = false;
    void pdf.getPage(pageNumber).then((page) => {
      if (cancelled) return;
      const base = page.getViewport({ scale: 1 });
      const ratio = Math.min(window.devicePixelRatio || 1, MAX_PIXEL_RATIO);
      let scale = (cssWidth / base.width) * ratio;
      const area = base.width * base.height * scale * scale;
      if (area > MAX_CANVAS_PIXELS) scale *= Math.sqrt(MAX_CANVAS_PIXELS / area);
      const viewport = page.getViewport({ scale });
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      task = page.render({ canvas, viewport });
      task.promise.then(
        () => {
          canvas.dataset.rendered = 'true';
          markReady();
          page.cleanup();
        },
        () => {
          // cancelled (scrolled away) or unreadable: the page keeps its place and its fields
        },
      );
    });
    return () => {
      cancelled = true;
      task?.cancel();
    };
  }, [pdf, pageNumber, cssWidth]);

  useEffect(() => {
    const canvas = canvasRef.current;
    return () => {
      // Hand the pixels back at once rather than whenever the element is collected.
      if (canvas) {
        canvas.width = 0;
        canvas.height = 0;
      }
    };
  }, []);

  return <canvas ref={canvasRef} className="page-canvas" />;
}

/**
 * The ceremony is interactive once the first page is painted with its fields: the moment the
 * bench (bench/webCeremony.ts) and the browser tests wait for, marked on <html> once.
 */
function markReady() {
  const root = document.documentElement;
  if (root.dataset.ready) return;
  (window as unknown as { readyAt: number }).readyAt = performance.now();
  root.dataset.ready = 'true';
}
