import { useEffect, useRef, useState } from 'react';

/** The widest a page is drawn, in CSS pixels: larger only blurs the editor's overview. */
const MAX_PAGE_WIDTH = 820;

/** The width pages are drawn at: their column's, up to MAX_PAGE_WIDTH, following window resizes. */
export function usePageWidth<T extends HTMLElement>() {
  const column = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = column.current;
    if (!element) return;
    const measure = () => setWidth(Math.min(MAX_PAGE_WIDTH, Math.floor(element.clientWidth)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { column, width };
}
