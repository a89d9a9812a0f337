import type { EnvelopeDraftInput, Field, Recipient } from '@signet/sdk';
import type { Box } from './geometry.ts';
import type { OpenedPdf } from './pdf.ts';

/*
 * The envelope being composed, as the page holds it until it is sent or saved: documents
 * (the files and pdf.js's view of them), recipients, and fields in the API's own coordinates
 * (points on the displayed page, ./geometry.ts), so what is sent is what is held.
 */

export type FieldType = Field['type'];
export type Role = Recipient['role'];

/** The field types the API places (src/envelopes/aggregate/statuses.ts FIELD_TYPES), in palette order. */
export const FIELD_TYPES: readonly FieldType[] = [
  'signature',
  'initials',
  'dateSigned',
  'name',
  'email',
  'text',
  'checkbox',
];
export const ROLES: readonly Role[] = ['signer', 'approver', 'viewer', 'cc'];
/** SAML levels of assurance a sender may ask for (src/identity/saml/matchingDataSet.ts). */
export const SAML_LEVELS = ['level1', 'level2', 'level3', 'level4'] as const;

/** A new field's size in points: roughly what each holds at a 10–12 pt text size. */
export const DEFAULT_SIZE: Record<FieldType, { width: number; height: number }> = {
  signature: { width: 170, height: 48 },
  initials: { width: 64, height: 40 },
  dateSigned: { width: 110, height: 22 },
  name: { width: 160, height: 22 },
  email: { width: 190, height: 22 },
  text: { width: 160, height: 22 },
  checkbox: { width: 16, height: 16 },
};

/**
 * One colour per recipient, in order, each dark enough for white text (WCAG AA on the label)
 * and told apart by hue; the recipient's name is always written beside it too.
 */
export const RECIPIENT_COLOURS = [
  '#1f5fbf',
  '#b3261e',
  '#1a7f37',
  '#8a4baf',
  '#a15c00',
  '#007a87',
  '#c2185b',
  '#4e5b6b',
];
export const colourOf = (index: number) => RECIPIENT_COLOURS[index % RECIPIENT_COLOURS.length]!;

export interface IdentityDraft {
  email: boolean;
  accessCode: { on: boolean; code: string };
  otp: { on: boolean; channel: 'email' | 'sms'; phone: string };
  saml: { on: boolean; minLevel: '' | (typeof SAML_LEVELS)[number] };
  oidc: { on: boolean; matchEmail: boolean };
}

export interface DraftRecipient {
  key: string;
  name: string;
  email: string;
  role: Role;
  routingOrder: number;
  identity: IdentityDraft;
}

export interface DraftDocument {
  key: string;
  file: File;
  opened: OpenedPdf;
}

export interface DraftField extends Box {
  key: string;
  recipientKey: string;
  documentKey: string;
  /** 1-based, as the API counts pages. */
  page: number;
  type: FieldType;
  required: boolean;
}

export interface Draft {
  title: string;
  message: string;
  documents: DraftDocument[];
  recipients: DraftRecipient[];
  fields: DraftField[];
}

let counter = 0;
export const newKey = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

export function newRecipient(routingOrder: number): DraftRecipient {
  return {
    key: newKey('recipient'),
    name: '',
    email: '',
    role: 'signer',
    routingOrder,
    identity: {
      email: true,
      accessCode: { on: false, code: '' },
      otp: { on: false, channel: 'email', phone: '' },
      saml: { on: false, minLevel: '' },
      oidc: { on: false, matchEmail: true },
    },
  };
}

/** Only signers have fields (the API refuses fields for approvers, viewers and cc). */
export const placesFields = (recipient: DraftRecipient) => recipient.role === 'signer';

/** The `envelope` part of POST /api/v1/envelopes, from the draft. */
export function draftInput(draft: Draft): EnvelopeDraftInput {
  // Only signers' fields: a recipient changed to another role keeps none.
  const emailOf = new Map(
    draft.recipients.filter(placesFields).map((r) => [r.key, r.email.trim().toLowerCase()]),
  );
  const documentIndex = new Map(draft.documents.map((d, index) => [d.key, index]));
  return {
    title: draft.title.trim(),
    message: draft.message,
    recipients: draft.recipients.map((r) => ({
      name: r.name.trim(),
      email: r.email.trim(),
      role: r.role,
      routingOrder: r.routingOrder,
      identity: identityInput(r.identity),
    })),
    fields: draft.fields
      .filter((f) => emailOf.has(f.recipientKey) && documentIndex.has(f.documentKey))
      .map((f) => ({
        recipient: emailOf.get(f.recipientKey)!,
        type: f.type,
        document: documentIndex.get(f.documentKey)!,
        page: f.page,
        x: f.x,
        y: f.y,
        width: f.width,
        height: f.height,
        required: f.required,
      })),
  };
}

type IdentityInput = EnvelopeDraftInput['recipients'][number]['identity'];

function identityInput(identity: IdentityDraft): IdentityInput {
  const methods: NonNullable<IdentityInput> = [];
  if (identity.email) methods.push({ kind: 'email' });
  if (identity.accessCode.on) methods.push({ kind: 'accessCode', code: identity.accessCode.code });
  if (identity.otp.on) {
    methods.push(
      identity.otp.channel === 'sms'
        ? { kind: 'otp', channel: 'sms', phone: identity.otp.phone.replace(/[\s()-]/g, '') }
        : { kind: 'otp', channel: 'email' },
    );
  }
  if (identity.saml.on)
    methods.push({ kind: 'saml', ...(identity.saml.minLevel ? { minLevel: identity.saml.minLevel } : {}) });
  if (identity.oidc.on) methods.push({ kind: 'oidc', matchEmail: identity.oidc.matchEmail });
  return methods;
}

/** What keeps the draft from being sent, each a catalogue key with its values; empty when it may go. */
export function sendProblems(
  draft: Draft,
  forSending = true,
): { key: string; values?: Record<string, string> }[] {
  const problems: { key: string; values?: Record<string, string> }[] = [];
  if (!draft.title.trim()) problems.push({ key: 'compose.problems.title' });
  if (draft.documents.length === 0) problems.push({ key: 'compose.problems.documents' });
  if (draft.recipients.length === 0) problems.push({ key: 'compose.problems.recipients' });
  const emails = new Set<string>();
  draft.recipients.forEach((r, index) => {
    const label = r.name.trim() || String(index + 1);
    if (!r.name.trim())
      problems.push({ key: 'compose.problems.name', values: { number: String(index + 1) } });
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(r.email.trim()))
      problems.push({ key: 'compose.problems.email', values: { name: label } });
    const email = r.email.trim().toLowerCase();
    if (email && emails.has(email)) problems.push({ key: 'compose.problems.duplicate', values: { email } });
    emails.add(email);
    const i = r.identity;
    if (!i.email && !i.accessCode.on && !i.otp.on && !i.saml.on && !i.oidc.on)
      problems.push({ key: 'compose.problems.identity', values: { name: label } });
    if (i.accessCode.on && i.accessCode.code.trim().length < 4)
      problems.push({ key: 'compose.problems.accessCode', values: { name: label } });
    if (i.otp.on && i.otp.channel === 'sms' && !/^\+[1-9]\d{6,14}$/.test(i.otp.phone.replace(/[\s()-]/g, '')))
      problems.push({ key: 'compose.problems.phone', values: { name: label } });
    if (
      forSending &&
      r.role === 'signer' &&
      !draft.fields.some((f) => f.recipientKey === r.key && f.type === 'signature')
    )
      problems.push({ key: 'compose.problems.signature', values: { name: label } });
  });
  if (draft.recipients.length > 0 && draft.recipients.every((r) => r.role === 'cc'))
    problems.push({ key: 'compose.problems.onlyCc' });
  return problems;
}
