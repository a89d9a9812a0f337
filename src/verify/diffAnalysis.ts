import { createHash } from 'node:crypto';
import {
  PDFArray,
  PDFDict,
  type PDFDocument,
  PDFName,
  type PDFObject,
  PDFRawStream,
  PDFRef,
  PDFStream,
} from 'pdf-lib';
import type { DocMdpPermission } from '../pdf/docMdp.ts';
import type { Change } from './report.ts';
import { textOf } from './signatureFields.ts';

/*
 * What a revision changed after a signature, judged the way pyHanko's diff_analysis does: every
 * object that differs between two revisions is traced to the role it played in the earlier one
 * (a page's content stream, an earlier signature's dictionary, the DSS…), and small explicit
 * rule sets say which changes a signed document may still undergo:
 *
 *   signatures   new signature and document time-stamp fields, their widgets and appearances,
 *                an empty signature field being signed, AcroForm /SigFlags
 *   forms        field values filled in (DocMDP P ≥ 2 or no DocMDP)
 *   annotations  annotations added or modified (DocMDP P = 3 or no DocMDP)
 *   dss          the Document Security Store and everything in it
 *   metadata     the document information dictionary and the XMP metadata stream
 *   catalog      only /DSS, /AcroForm, /Metadata and /Extensions may change
 *   pages        nothing: content, resources and the page tree are what was signed
 *   structure    everything else reachable from the catalog must stay as it was
 *
 * DocMDP (ISO 32000-1 §12.8.2.2): P = 1 allows no change but DSS and document time-stamps
 * (ETSI EN 319 142-1 §5.4 keeps long-term validation possible on certified documents).
 */

export type { DocMdpPermission };

export interface ChangePolicy {
  /** The DocMDP permission in force, or undefined when the document is not certified. */
  docMdp?: DocMdpPermission;
}

const formFillAllowed = (policy: ChangePolicy) => policy.docMdp === undefined || policy.docMdp >= 2;
const annotationsAllowed = (policy: ChangePolicy) => policy.docMdp === undefined || policy.docMdp === 3;
const metadataAllowed = (policy: ChangePolicy) => policy.docMdp !== 1;

type AppearanceOwner = 'signed-signature-field' | 'empty-signature-field' | 'form-field' | 'annotation';

type Role =
  | { kind: 'catalog' }
  | { kind: 'info' }
  | { kind: 'metadata' }
  | { kind: 'dss' }
  | { kind: 'page-tree' }
  | { kind: 'page'; page: number }
  | { kind: 'page-content'; page: number }
  | { kind: 'page-resources'; page: number }
  | { kind: 'annotations-array'; page: number }
  | { kind: 'annotation'; page: number; subtype: string }
  | { kind: 'acroform' }
  | { kind: 'form-fields-array' }
  | { kind: 'form-field'; name: string; signature: boolean; signed: boolean }
  | { kind: 'signature-value'; field: string }
  | { kind: 'appearance'; owner: AppearanceOwner; name: string }
  | { kind: 'other'; path: string };

/** Roles that mark an object as a structural node: reachability walks stop there. */
const STRUCTURAL = new Set<Role['kind']>([
  'catalog',
  'page-tree',
  'page',
  'annotation',
  'acroform',
  'form-field',
  'form-fields-array',
]);

class RoleMap {
  readonly #roles = new Map<string, Role[]>();

  add(ref: PDFRef, role: Role): void {
    const key = ref.toString();
    this.#roles.set(key, [...(this.#roles.get(key) ?? []), role]);
  }

  of(ref: PDFRef | string): Role[] {
    return this.#roles.get(typeof ref === 'string' ? ref : ref.toString()) ?? [];
  }

  isStructural(ref: PDFRef): boolean {
    return this.of(ref).some((role) => STRUCTURAL.has(role.kind));
  }
}

interface FieldInfo {
  name: string;
  signature: boolean;
  signed: boolean;
  documentTimestamp: boolean;
}

interface DocumentModel {
  document: PDFDocument;
  roles: RoleMap;
  pages: PDFRef[];
  /** Terminal fields and their widgets, by reference. */
  fields: Map<string, FieldInfo>;
  /** Annotation references per page index. */
  annotations: string[][];
}

/** The changes `after` (1-based `revision`) made to `before`, each allowed or not under `policy`. */
export function compareRevisions(
  before: PDFDocument,
  after: PDFDocument,
  revision: number,
  policy: ChangePolicy,
): Change[] {
  const old = modelOf(before);
  const current = modelOf(after);
  const changes: Change[] = [];
  const add = (allowed: boolean, rule: string, message: string) =>
    changes.push({ revision, allowed, rule, message });

  compareTrailer(before, after, add);
  compareCatalogs(before, after, policy, add);
  comparePageLists(old, current, add);
  compareFields(old, current, policy, add);
  compareAnnotations(old, current, policy, add);
  compareObjects(old, current, policy, add);
  return changes;
}

type Add = (allowed: boolean, rule: string, message: string) => void;

function compareTrailer(before: PDFDocument, after: PDFDocument, add: Add): void {
  const oldRoot = before.context.trailerInfo.Root?.toString();
  const newRoot = after.context.trailerInfo.Root?.toString();
  if (oldRoot !== newRoot)
    add(false, 'structure', `the document catalog was replaced (${oldRoot} → ${newRoot})`);
}

const CATALOG_KEYS_THAT_MAY_CHANGE = new Set(['DSS', 'AcroForm', 'Metadata', 'Extensions']);

function compareCatalogs(before: PDFDocument, after: PDFDocument, policy: ChangePolicy, add: Add): void {
  for (const key of differingKeys(before.catalog, after.catalog)) {
    if (key === 'DSS')
      add(
        true,
        'dss',
        before.catalog.has(PDFName.of('DSS'))
          ? 'document security store replaced'
          : 'document security store (/DSS) added',
      );
    else if (key === 'Metadata') add(metadataAllowed(policy), 'metadata', 'catalog /Metadata changed');
    else if (CATALOG_KEYS_THAT_MAY_CHANGE.has(key)) add(true, 'catalog', `catalog /${key} changed`);
    else add(false, 'catalog', `catalog /${key} changed`);
  }
}

function comparePageLists(old: DocumentModel, current: DocumentModel, add: Add): void {
  const before = old.pages.map(String);
  const after = current.pages.map(String);
  if (after.length > before.length) add(false, 'pages', `${after.length - before.length} page(s) added`);
  else if (after.length < before.length)
    add(false, 'pages', `${before.length - after.length} page(s) removed`);
  else if (before.some((ref, i) => ref !== after[i])) add(false, 'pages', 'pages were replaced or reordered');
}

function compareFields(old: DocumentModel, current: DocumentModel, policy: ChangePolicy, add: Add): void {
  for (const [ref, field] of old.fields) {
    if (!current.fields.has(ref)) add(false, 'forms', `form field '${field.name}' (${ref}) removed`);
  }
  for (const [ref, field] of current.fields) {
    if (old.fields.has(ref)) continue;
    if (!field.signature) {
      add(false, 'forms', `form field '${field.name}' (${ref}) added`);
    } else if (field.documentTimestamp) {
      add(true, 'signatures', `document time-stamp field '${field.name}' added`);
    } else if (policy.docMdp === 1) {
      add(
        false,
        'signatures',
        `signature field '${field.name}' added, but the certification (DocMDP P=1) allows no further signatures`,
      );
    } else {
      add(true, 'signatures', `signature field '${field.name}' added${field.signed ? ' and signed' : ''}`);
    }
  }
}

function compareAnnotations(
  old: DocumentModel,
  current: DocumentModel,
  policy: ChangePolicy,
  add: Add,
): void {
  old.annotations.forEach((before, index) => {
    if (old.pages[index]?.toString() !== current.pages[index]?.toString()) return;
    const after = current.annotations[index] ?? [];
    const page = index + 1;
    for (const ref of before) {
      if (!after.includes(ref)) add(false, 'annotations', `annotation ${ref} removed from page ${page}`);
    }
    for (const ref of after) {
      if (before.includes(ref)) continue;
      const field = current.fields.get(ref);
      const subtype = annotationSubtype(current.document, ref);
      if (field?.signature)
        add(true, 'signatures', `widget of signature field '${field.name}' added to page ${page}`);
      else if (field) add(false, 'forms', `widget of form field '${field.name}' added to page ${page}`);
      else
        add(
          annotationsAllowed(policy),
          'annotations',
          `annotation /${subtype} (${ref}) added to page ${page}`,
        );
    }
  });
}

function compareObjects(old: DocumentModel, current: DocumentModel, policy: ChangePolicy, add: Add): void {
  const before = new Map(
    old.document.context.enumerateIndirectObjects().map(([ref, object]) => [ref.toString(), object]),
  );
  for (const [ref, object] of current.document.context.enumerateIndirectObjects()) {
    const previous = before.get(ref.toString());
    if (!previous || canonical(previous) === canonical(object)) continue;
    const roles = old.roles.of(ref);
    if (roles.length === 0) {
      add(true, 'structure', `object ${ref}, unused in the earlier revision, was redefined`);
      continue;
    }
    const judgements = roles
      .map((role) => judgeChangedObject(role, ref, previous, object, old, policy))
      .filter((j): j is Judgement => j !== undefined);
    const refused = judgements.filter((j) => !j.allowed);
    for (const judgement of refused.length > 0 ? refused : judgements.slice(0, 1)) {
      add(judgement.allowed, judgement.rule, judgement.message);
    }
  }
}

interface Judgement {
  allowed: boolean;
  rule: string;
  message: string;
}

/** One rule per role. Undefined when another comparison (catalog, pages, fields) already reported it. */
function judgeChangedObject(
  role: Role,
  ref: PDFRef,
  before: PDFObject,
  after: PDFObject,
  old: DocumentModel,
  policy: ChangePolicy,
): Judgement | undefined {
  const keys =
    before instanceof PDFDict && after instanceof PDFDict ? differingKeys(before, after) : undefined;
  const keyList = (list: string[]) => list.map((k) => `/${k}`).join(', ');
  switch (role.kind) {
    case 'catalog':
    case 'annotations-array':
    case 'form-fields-array':
      return undefined;
    case 'info':
      return {
        allowed: metadataAllowed(policy),
        rule: 'metadata',
        message: 'document information dictionary updated',
      };
    case 'metadata':
      return {
        allowed: metadataAllowed(policy),
        rule: 'metadata',
        message: `XMP metadata stream ${ref} updated`,
      };
    case 'dss':
      return { allowed: true, rule: 'dss', message: `document security store object ${ref} updated` };
    case 'page-tree': {
      const other = (keys ?? ['(stream)']).filter((k) => k !== 'Kids' && k !== 'Count');
      if (other.length === 0) return undefined;
      return { allowed: false, rule: 'pages', message: `page tree node ${ref} changed (${keyList(other)})` };
    }
    case 'page':
      return judgePage(role.page, before, after, keys);
    case 'page-content':
      return { allowed: false, rule: 'pages', message: `page ${role.page} content stream ${ref} changed` };
    case 'page-resources':
      return {
        allowed: false,
        rule: 'pages',
        message:
          role.page === 0
            ? `inherited page resources object ${ref} changed`
            : `page ${role.page} resources object ${ref} changed`,
      };
    case 'annotation': {
      if (role.subtype === 'Widget' && old.fields.has(ref.toString())) return undefined;
      return {
        allowed: annotationsAllowed(policy),
        rule: 'annotations',
        message: `annotation /${role.subtype} ${ref} on page ${role.page} modified`,
      };
    }
    case 'acroform':
      return judgeAcroForm(keys ?? ['(not a dictionary)'], policy);
    case 'form-field':
      return judgeField(role, keys ?? ['(not a dictionary)'], policy);
    case 'signature-value':
      return {
        allowed: false,
        rule: 'signatures',
        message: `signature dictionary ${ref} of the earlier signature '${role.field}' changed`,
      };
    case 'appearance':
      return judgeAppearance(role, ref, policy);
    case 'other':
      return { allowed: false, rule: 'structure', message: `object ${ref} (${role.path}) changed` };
  }
}

function judgePage(
  page: number,
  before: PDFObject,
  after: PDFObject,
  keys: string[] | undefined,
): Judgement | undefined {
  if (!keys)
    return { allowed: false, rule: 'pages', message: `page ${page} object replaced by a non-dictionary` };
  const other = keys.filter((k) => k !== 'Annots');
  if (other.length === 0) return undefined; // /Annots: judged annotation by annotation
  if (other.includes('Contents')) {
    const was = (before as PDFDict).get(PDFName.of('Contents'))?.toString() ?? 'nothing';
    const now = (after as PDFDict).get(PDFName.of('Contents'))?.toString() ?? 'nothing';
    return {
      allowed: false,
      rule: 'pages',
      message: `page ${page} content changed (/Contents ${was} → ${now})`,
    };
  }
  if (other.includes('Resources'))
    return { allowed: false, rule: 'pages', message: `page ${page} resources changed` };
  return {
    allowed: false,
    rule: 'pages',
    message: `page ${page} changed (${other.map((k) => `/${k}`).join(', ')})`,
  };
}

function judgeAcroForm(keys: string[], policy: ChangePolicy): Judgement | undefined {
  const formKeys = new Set(['DR', 'DA', 'NeedAppearances']);
  const refused = keys.filter(
    (k) => k !== 'Fields' && k !== 'SigFlags' && !(formKeys.has(k) && formFillAllowed(policy)),
  );
  if (refused.length > 0) {
    return {
      allowed: false,
      rule: 'forms',
      message: `AcroForm changed (${refused.map((k) => `/${k}`).join(', ')})`,
    };
  }
  if (keys.includes('SigFlags'))
    return { allowed: true, rule: 'signatures', message: 'AcroForm /SigFlags updated' };
  if (keys.some((k) => formKeys.has(k)))
    return { allowed: true, rule: 'forms', message: 'AcroForm defaults updated' };
  return undefined;
}

function judgeField(
  role: Extract<Role, { kind: 'form-field' }>,
  keys: string[],
  policy: ChangePolicy,
): Judgement {
  const list = keys.map((k) => `/${k}`).join(', ');
  if (role.signature && role.signed) {
    const message = keys.includes('V')
      ? `the value of the already signed signature field '${role.name}' was replaced`
      : `the already signed signature field '${role.name}' changed (${list})`;
    return { allowed: false, rule: 'signatures', message };
  }
  if (role.signature) {
    const allowedKeys = new Set(['V', 'AP', 'AS', 'F', 'MK', 'Lock']);
    const refused = keys.filter((k) => !allowedKeys.has(k));
    if (refused.length > 0)
      return {
        allowed: false,
        rule: 'signatures',
        message: `empty signature field '${role.name}' changed (${list})`,
      };
    return { allowed: true, rule: 'signatures', message: `empty signature field '${role.name}' signed` };
  }
  const valueKeys = new Set(['V', 'AP', 'AS']);
  if (keys.every((k) => valueKeys.has(k))) {
    return formFillAllowed(policy)
      ? { allowed: true, rule: 'forms', message: `form field '${role.name}' filled in` }
      : {
          allowed: false,
          rule: 'forms',
          message: `form field '${role.name}' filled in, which the certification (DocMDP P=1) forbids`,
        };
  }
  return { allowed: false, rule: 'forms', message: `form field '${role.name}' changed (${list})` };
}

function judgeAppearance(
  role: Extract<Role, { kind: 'appearance' }>,
  ref: PDFRef,
  policy: ChangePolicy,
): Judgement {
  switch (role.owner) {
    case 'empty-signature-field':
      return {
        allowed: true,
        rule: 'signatures',
        message: `appearance ${ref} of signature field '${role.name}' updated as it was signed`,
      };
    case 'signed-signature-field':
      return {
        allowed: false,
        rule: 'signatures',
        message: `appearance ${ref} of the already signed field '${role.name}' changed`,
      };
    case 'form-field':
      return {
        allowed: formFillAllowed(policy),
        rule: 'forms',
        message: `appearance ${ref} of form field '${role.name}' changed`,
      };
    case 'annotation':
      return {
        allowed: annotationsAllowed(policy),
        rule: 'annotations',
        message: `appearance ${ref} of annotation ${role.name} changed`,
      };
  }
}

// ---------------------------------------------------------------------------------------------
// Roles: what each indirect object is, found by walking the document from its catalog.
// ---------------------------------------------------------------------------------------------

/** Caps every walk: a hostile file must not make the validator loop or exhaust memory. */
const MAX_WALK = 200_000;

function modelOf(document: PDFDocument): DocumentModel {
  const roles = new RoleMap();
  const context = document.context;
  const root = context.trailerInfo.Root;
  if (root instanceof PDFRef) roles.add(root, { kind: 'catalog' });
  const catalog = document.catalog;

  const pages: PDFRef[] = [];
  const annotations: string[][] = [];
  const widgetAppearances: { annotation: PDFRef; appearance: PDFObject }[] = [];
  walkPageTree(document, catalog.get(PDFName.of('Pages')), roles, pages, annotations, widgetAppearances);

  const fields = new Map<string, FieldInfo>();
  const acroFormEntry = catalog.get(PDFName.of('AcroForm'));
  if (acroFormEntry instanceof PDFRef) roles.add(acroFormEntry, { kind: 'acroform' });
  const acroForm = context.lookup(acroFormEntry);
  if (acroForm instanceof PDFDict) {
    const fieldsEntry = acroForm.get(PDFName.of('Fields'));
    if (fieldsEntry instanceof PDFRef) roles.add(fieldsEntry, { kind: 'form-fields-array' });
    const list = context.lookup(fieldsEntry);
    if (list instanceof PDFArray) {
      for (const field of list.asArray()) walkField(document, field, '', undefined, roles, fields, 0);
    }
  }
  for (const { annotation, appearance } of widgetAppearances) {
    if (!fields.has(annotation.toString())) {
      markReachable(
        document,
        appearance,
        { kind: 'appearance', owner: 'annotation', name: annotation.toString() },
        roles,
      );
    }
  }

  const dss = catalog.get(PDFName.of('DSS'));
  if (dss) markReachable(document, dss, { kind: 'dss' }, roles);
  const metadata = catalog.get(PDFName.of('Metadata'));
  if (metadata instanceof PDFRef) roles.add(metadata, { kind: 'metadata' });
  const info = context.trailerInfo.Info;
  if (info) markReachable(document, info, { kind: 'info' }, roles);

  for (const [key, value] of catalog.entries()) {
    markReachable(document, value, { kind: 'other', path: `catalog ${key.toString()}` }, roles, true);
  }
  return { document, roles, pages, fields, annotations };
}

function walkPageTree(
  document: PDFDocument,
  entry: PDFObject | undefined,
  roles: RoleMap,
  pages: PDFRef[],
  annotations: string[][],
  widgetAppearances: { annotation: PDFRef; appearance: PDFObject }[],
): void {
  const seen = new Set<string>();
  const visit = (node: PDFObject | undefined, depth: number) => {
    if (!(node instanceof PDFRef) || seen.has(node.toString()) || depth > 64 || seen.size > MAX_WALK) return;
    seen.add(node.toString());
    const dict = document.context.lookup(node);
    if (!(dict instanceof PDFDict)) return;
    const kids = dict.lookupMaybe(PDFName.of('Kids'), PDFArray);
    if (dict.lookupMaybe(PDFName.of('Type'), PDFName)?.decodeText() === 'Pages' || kids) {
      roles.add(node, { kind: 'page-tree' });
      const inherited = dict.get(PDFName.of('Resources'));
      if (inherited) markReachable(document, inherited, { kind: 'page-resources', page: 0 }, roles);
      for (const kid of kids?.asArray() ?? []) visit(kid, depth + 1);
      return;
    }
    pages.push(node);
    const page = pages.length;
    roles.add(node, { kind: 'page', page });
    annotations.push(walkPage(document, dict, page, roles, widgetAppearances));
  };
  visit(entry, 0);
}

function walkPage(
  document: PDFDocument,
  page: PDFDict,
  number: number,
  roles: RoleMap,
  widgetAppearances: { annotation: PDFRef; appearance: PDFObject }[],
): string[] {
  const context = document.context;
  const contents = page.get(PDFName.of('Contents'));
  if (contents instanceof PDFRef) roles.add(contents, { kind: 'page-content', page: number });
  const contentList = context.lookup(contents);
  if (contentList instanceof PDFArray) {
    for (const item of contentList.asArray())
      if (item instanceof PDFRef) roles.add(item, { kind: 'page-content', page: number });
  }
  const resources = page.get(PDFName.of('Resources'));
  if (resources) markReachable(document, resources, { kind: 'page-resources', page: number }, roles);

  const annotsEntry = page.get(PDFName.of('Annots'));
  if (annotsEntry instanceof PDFRef) roles.add(annotsEntry, { kind: 'annotations-array', page: number });
  const annots = context.lookup(annotsEntry);
  const refs: string[] = [];
  if (annots instanceof PDFArray) {
    for (const item of annots.asArray()) {
      if (!(item instanceof PDFRef)) continue;
      refs.push(item.toString());
      const annotation = context.lookup(item);
      const subtype =
        annotation instanceof PDFDict
          ? (annotation.lookupMaybe(PDFName.of('Subtype'), PDFName)?.decodeText() ?? '?')
          : '?';
      roles.add(item, { kind: 'annotation', page: number, subtype });
      const appearance = annotation instanceof PDFDict ? annotation.get(PDFName.of('AP')) : undefined;
      if (!appearance) continue;
      if (subtype === 'Widget') widgetAppearances.push({ annotation: item, appearance });
      else
        markReachable(
          document,
          appearance,
          { kind: 'appearance', owner: 'annotation', name: item.toString() },
          roles,
        );
    }
  }
  for (const [key, value] of page.entries()) {
    const name = key.decodeText();
    if (['Parent', 'Contents', 'Resources', 'Annots'].includes(name)) continue;
    markReachable(document, value, { kind: 'other', path: `page ${number} /${name}` }, roles, true);
  }
  return refs;
}

function walkField(
  document: PDFDocument,
  entry: PDFObject,
  parentName: string,
  inheritedType: string | undefined,
  roles: RoleMap,
  fields: Map<string, FieldInfo>,
  depth: number,
): void {
  if (!(entry instanceof PDFRef) || depth > 32 || fields.has(entry.toString()) || fields.size > MAX_WALK)
    return;
  const field = document.context.lookup(entry);
  if (!(field instanceof PDFDict)) return;
  const partial = textOf(field.get(PDFName.of('T')));
  const name = partial === undefined ? parentName : parentName ? `${parentName}.${partial}` : partial;
  const type = field.lookupMaybe(PDFName.of('FT'), PDFName)?.decodeText() ?? inheritedType;
  const value = field.get(PDFName.of('V'));
  const signatureValue = type === 'Sig' ? document.context.lookup(value) : undefined;
  const info: FieldInfo = {
    name: name || '(unnamed)',
    signature: type === 'Sig',
    signed: signatureValue instanceof PDFDict,
    documentTimestamp:
      signatureValue instanceof PDFDict &&
      signatureValue.lookupMaybe(PDFName.of('Type'), PDFName)?.decodeText() === 'DocTimeStamp',
  };
  fields.set(entry.toString(), info);
  roles.add(entry, { kind: 'form-field', name: info.name, signature: info.signature, signed: info.signed });
  if (info.signature && value)
    markReachable(document, value, { kind: 'signature-value', field: info.name }, roles);
  else if (value)
    markReachable(
      document,
      value,
      { kind: 'form-field', name: info.name, signature: false, signed: false },
      roles,
    );
  const appearance = field.get(PDFName.of('AP'));
  if (appearance) {
    const owner: AppearanceOwner = !info.signature
      ? 'form-field'
      : info.signed
        ? 'signed-signature-field'
        : 'empty-signature-field';
    markReachable(document, appearance, { kind: 'appearance', owner, name: info.name }, roles);
  }
  for (const kid of field.lookupMaybe(PDFName.of('Kids'), PDFArray)?.asArray() ?? []) {
    walkField(document, kid, info.name, type, roles, fields, depth + 1);
  }
}

/**
 * Gives `role` to every indirect object reachable from `start`, without entering structural
 * nodes (pages, fields, the catalog) that have roles of their own. With `onlyUnassigned`, objects
 * that already have a role are neither marked nor entered (the catch-all walk from the catalog).
 */
function markReachable(
  document: PDFDocument,
  start: PDFObject,
  role: Role,
  roles: RoleMap,
  onlyUnassigned = false,
): void {
  const seen = new Set<string>();
  const queue: PDFObject[] = [start];
  while (queue.length > 0 && seen.size < MAX_WALK) {
    const object = queue.pop() as PDFObject;
    if (object instanceof PDFRef) {
      const key = object.toString();
      if (seen.has(key) || roles.isStructural(object)) continue;
      if (onlyUnassigned && roles.of(object).length > 0) continue;
      seen.add(key);
      roles.add(object, role);
      const target = document.context.lookup(object);
      if (target) queue.push(target);
    } else {
      queue.push(...directChildren(object));
    }
  }
}

function directChildren(object: PDFObject): PDFObject[] {
  if (object instanceof PDFDict) return [...object.values()];
  if (object instanceof PDFArray) return object.asArray();
  if (object instanceof PDFStream) return [...object.dict.values()];
  return [];
}

function annotationSubtype(document: PDFDocument, ref: string): string {
  const [number, generation] = ref.split(' ').map(Number);
  const annotation = document.context.lookup(PDFRef.of(number ?? 0, generation ?? 0));
  return annotation instanceof PDFDict
    ? (annotation.lookupMaybe(PDFName.of('Subtype'), PDFName)?.decodeText() ?? '?')
    : '?';
}

// ---------------------------------------------------------------------------------------------
// Comparing objects: semantically, so re-serialising the same dictionary is no change.
// ---------------------------------------------------------------------------------------------

/** Keys whose values differ (present in one only, or different), without the leading slash. */
function differingKeys(before: PDFDict, after: PDFDict): string[] {
  const keys = new Set([...before.keys(), ...after.keys()].map((k) => k.decodeText()));
  return [...keys].filter((key) => {
    const a = before.get(PDFName.of(key));
    const b = after.get(PDFName.of(key));
    return (a === undefined ? '' : canonical(a)) !== (b === undefined ? '' : canonical(b));
  });
}

/** A serialisation with dictionary keys sorted and stream data hashed. */
export function canonical(object: PDFObject, depth = 0): string {
  if (depth > 100) return '(too deep)';
  if (object instanceof PDFDict) {
    const entries = object
      .entries()
      .map(([key, value]) => [key.toString(), canonical(value, depth + 1)] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `<<${entries.map(([k, v]) => `${k} ${v}`).join(' ')}>>`;
  }
  if (object instanceof PDFArray)
    return `[${object
      .asArray()
      .map((item) => canonical(item, depth + 1))
      .join(' ')}]`;
  if (object instanceof PDFStream) {
    const data = object instanceof PDFRawStream ? object.contents : object.getContents();
    return `${canonical(object.dict, depth + 1)} stream ${createHash('sha256').update(data).digest('hex')}`;
  }
  return object.toString();
}
