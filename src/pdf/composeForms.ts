/**
 * Flattening of existing AcroForm widgets before documents are merged.
 *
 * Why flatten: a completed, sealed document must look the same in every viewer and must not
 * invite further filling-in. Merging also breaks forms anyway — copied pages keep their widget
 * annotations but the source's /AcroForm (and its /NeedAppearances, /DA, /DR) is not carried over.
 *
 * Why not pdf-lib's `PDFForm.flatten()`: it regenerates appearances with Helvetica (throwing on
 * non-WinAnsi values), throws on widgets without an appearance stream, and places the appearance
 * at the widget's corner without honouring the stream's /BBox and /Matrix. Here we keep exactly the
 * appearance the sender's viewer showed (ISO 32000-1 §12.5.5, Algorithm 8.1), draw it into the page
 * content and remove the widget. A widget with no normal appearance showed nothing without
 * /NeedAppearances and is dropped — the one case where a value could be lost; regenerating it needs
 * the form's default appearance and fonts, which we leave to a later issue.
 */
import {
  concatTransformationMatrix,
  drawObject,
  PDFArray,
  PDFDict,
  type PDFDocument,
  PDFName,
  PDFNumber,
  type PDFPage,
  PDFRef,
  PDFStream,
  popGraphicsState,
  pushGraphicsState,
} from 'pdf-lib';
import { type Matrix, normalizeRect, type UserRect } from './composeGeometry.ts';

// ISO 32000-1 §12.5.3, Table 165: annotation flags that keep an annotation off the screen.
const HIDDEN_FLAG = 1 << 1;
const NO_VIEW_FLAG = 1 << 5;

const WIDGET = PDFName.of('Widget');
const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];

/** Draws every visible widget's appearance into its page's content and removes the widgets. */
export function flattenFormWidgets(doc: PDFDocument): void {
  for (const page of doc.getPages()) flattenPageWidgets(page);
  // The field tree now has no widgets on any page; drop it so nothing refers to removed fields.
  doc.catalog.delete(PDFName.of('AcroForm'));
}

function flattenPageWidgets(page: PDFPage): void {
  const annotations = page.node.Annots();
  if (!annotations) return;
  const widgetIndices: number[] = [];
  // Forward order keeps the stacking order the viewer used (later annotations paint on top).
  for (let index = 0; index < annotations.size(); index++) {
    const annotation = annotations.lookupMaybe(index, PDFDict);
    if (annotation?.get(PDFName.of('Subtype')) !== WIDGET) continue;
    drawWidgetAppearance(page, annotation);
    widgetIndices.push(index);
  }
  for (const index of widgetIndices.reverse()) annotations.remove(index);
}

function drawWidgetAppearance(page: PDFPage, widget: PDFDict): void {
  const flags = widget.lookupMaybe(PDFName.of('F'), PDFNumber)?.asNumber() ?? 0;
  if ((flags & (HIDDEN_FLAG | NO_VIEW_FLAG)) !== 0) return;
  const appearanceRef = normalAppearanceRef(widget);
  const rect = widget.lookupMaybe(PDFName.of('Rect'), PDFArray);
  if (!appearanceRef || !rect) return;
  const appearance = page.doc.context.lookup(appearanceRef);
  if (!(appearance instanceof PDFStream)) return;
  const placement = appearancePlacement(appearance.dict, normalizeRect(rect.asRectangle()));
  if (!placement) return;
  // Some writers omit /Subtype on appearance streams; `Do` needs a form XObject (§8.10.2).
  if (!appearance.dict.has(PDFName.of('Subtype')))
    appearance.dict.set(PDFName.of('Subtype'), PDFName.of('Form'));
  const name = page.node.newXObject('FlatWidget', appearanceRef);
  page.pushOperators(
    pushGraphicsState(),
    concatTransformationMatrix(...placement),
    drawObject(name),
    popGraphicsState(),
  );
}

/** The /N appearance, picking the /AS state for check boxes and radio buttons (§12.5.5). */
function normalAppearanceRef(widget: PDFDict): PDFRef | undefined {
  const normal = widget.lookupMaybe(PDFName.of('AP'), PDFDict)?.get(PDFName.of('N'));
  if (normal instanceof PDFRef) return normal;
  if (!(normal instanceof PDFDict)) return undefined;
  const state = widget.lookupMaybe(PDFName.of('AS'), PDFName);
  const stateAppearance = state ? normal.get(state) : undefined;
  return stateAppearance instanceof PDFRef ? stateAppearance : undefined;
}

/**
 * ISO 32000-1 §12.5.5 Algorithm 8.1: the form's /BBox, transformed by its /Matrix, is mapped onto
 * the annotation's /Rect by scaling and translation. `Do` applies /Matrix itself, so the returned
 * matrix is only the mapping from the transformed box to the rectangle.
 */
export function appearancePlacement(form: PDFDict, widgetRect: UserRect): Matrix | undefined {
  const bbox = form.lookupMaybe(PDFName.of('BBox'), PDFArray)?.asRectangle();
  if (!bbox) return undefined;
  const box = transformedBounds(bbox, formMatrix(form));
  if (box.width === 0 || box.height === 0) return undefined;
  const scaleX = widgetRect.width / box.width;
  const scaleY = widgetRect.height / box.height;
  return [scaleX, 0, 0, scaleY, widgetRect.x - box.x * scaleX, widgetRect.y - box.y * scaleY];
}

function formMatrix(form: PDFDict): Matrix {
  const array = form.lookupMaybe(PDFName.of('Matrix'), PDFArray);
  if (array?.size() !== 6) return IDENTITY;
  const values = array.asArray().map((item) => (item instanceof PDFNumber ? item.asNumber() : Number.NaN));
  if (!values.every(Number.isFinite)) return IDENTITY;
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = values;
  return [a, b, c, d, e, f];
}

function transformedBounds(rect: UserRect, [a, b, c, d, e, f]: Matrix): UserRect {
  const corners = [
    [rect.x, rect.y],
    [rect.x + rect.width, rect.y],
    [rect.x, rect.y + rect.height],
    [rect.x + rect.width, rect.y + rect.height],
  ].map(([x = 0, y = 0]) => ({ x: a * x + c * y + e, y: b * x + d * y + f }));
  const xs = corners.map((corner) => corner.x);
  const ys = corners.map((corner) => corner.y);
  const left = Math.min(...xs);
  const bottom = Math.min(...ys);
  return { x: left, y: bottom, width: Math.max(...xs) - left, height: Math.max(...ys) - bottom };
}
