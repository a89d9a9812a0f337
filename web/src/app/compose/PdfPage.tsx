import type { PDFDocumentProxy, RenderTask } from 'pdfjs-dist';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PageBox } from './geometry.ts';

/*
 * One page of a PDF drawn by pdf.js at `width` CSS pixels (sharp on high-density screens),
 * only once it comes near the viewport, with `children` laid over it in the same pixels: the
 * overlay is where fields are placed, so it must be exactly the drawn page.
 */

interface Props {
  pdf: PDFDocumentProxy;
  /** 1-based. */
  pageNumber: number;
  box: PageBox;
  /** CSS pixels. */
  width: number;
  /** The page's accessible name ("contract.pdf, page 2 of 5"). */
  label: string;
  children?: ReactNode;
  /** Data attributes that let a drop find the page under the pointer. */
  slot?: { documentKey: string };
}

export function PdfPage({ pdf, pageNumber, box, width, label, children, slot }: Props) {
  const { t } = useTranslation();
  const frame = useRef<HTMLElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [near, setNear] = useState(false);
  const [failed, setFailed] = useState(false);
  const height = Math.round((width * box.height) / box.width);

  useEffect(() => {
    const element = frame.current;
    if (!element) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) setNear(true);
      },
      { rootMargin: '600px 0px' },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (!near || !canvas.current || width <= 0) return;
    let task: RenderTask | undefined;
    let cancelled = false;
    const target = canvas.current;
    (async () => {
      const page = await pdf.getPage(pageNumber);
      if (cancelled) return;
      const ratio = window.devicePixelRatio || 1;
      const natural = page.getViewport({ scale: 1 });
      const viewport = page.getViewport({ scale: (width * ratio) / natural.width });
      target.width = Math.round(viewport.width);
      target.height = Math.round(viewport.height);
      task = page.render({ canvas: target, viewport });
      await task.promise;
    })().catch((error: unknown) => {
      if ((error as { name?: string }).name === 'RenderingCancelledException') return;
      setFailed(true);
    });
    return () => {
      cancelled = true;
      task?.cancel();
    };
  }, [near, pdf, pageNumber, width]);

  return (
    <figure
      ref={frame}
      className="pdf-page"
      style={{ width, height }}
      aria-label={label}
      data-page-slot={slot ? 'true' : undefined}
      data-document-key={slot?.documentKey}
      data-page-number={slot ? pageNumber : undefined}
    >
      <canvas ref={canvas} className="pdf-canvas" style={{ width, height }} />
      {failed && <p className="pdf-failed">{t('compose.pageFailed')}</p>}
      <div className="pdf-overlay">{children}</div>
    </figure>
  );
}
