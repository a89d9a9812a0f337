/*
 * The vocabularies of the envelope aggregate's state, as the migrations' check constraints spell
 * them (db/migrations/001_core.sql): one list each, from which the row parsers, the transition
 * function and the request schemas take their types.
 */

/** SPEC §A: draft → sent → completed | declined | voided | expired. */
export const ENVELOPE_STATUSES = ['draft', 'sent', 'completed', 'declined', 'voided', 'expired'] as const;
export type EnvelopeStatus = (typeof ENVELOPE_STATUSES)[number];

/** created (waiting for their routing group) → sent (invited) → delivered (opened) → completed | declined. */
export const RECIPIENT_STATUSES = ['created', 'sent', 'delivered', 'completed', 'declined'] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

export const RECIPIENT_ROLES = ['signer', 'approver', 'viewer', 'cc'] as const;
export type RecipientRole = (typeof RECIPIENT_ROLES)[number];

/**
 * The seal job's progress on a completed envelope: none → pending (queued) → running (a process
 * holds the lease) → done, or failed (retried: running again). A running seal whose lease ran out
 * unrenewed goes back to pending.
 */
export const SEAL_STATES = ['none', 'pending', 'running', 'failed', 'done'] as const;
export type SealState = (typeof SEAL_STATES)[number];

export const FIELD_TYPES = [
  'signature',
  'initials',
  'dateSigned',
  'name',
  'email',
  'text',
  'checkbox',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const SIGNING_LINK_PURPOSES = ['email', 'embedded', 'copy'] as const;
export type SigningLinkPurpose = (typeof SIGNING_LINK_PURPOSES)[number];

/** How a signer adopted their signature or initials: typed, drawn, or an image they uploaded. */
export const ADOPTION_KINDS = ['typed', 'drawn', 'uploaded'] as const;
export type AdoptionKind = (typeof ADOPTION_KINDS)[number];
