-- Organisations, people and API keys (SPEC §F).
create table organizations (
  id uuid primary key,
  name text not null,
  is_default boolean not null default false,
  created_at timestamptz not null default now()
);

create table users (
  id uuid primary key,
  organization_id uuid not null references organizations (id) on delete cascade,
  email text not null,
  name text not null default '',
  role text not null check (role in ('owner', 'admin', 'sender', 'viewer')),
  password_hash text,
  created_at timestamptz not null default now(),
  unique (organization_id, email)
);

create table api_keys (
  id uuid primary key,
  organization_id uuid not null references organizations (id) on delete cascade,
  created_by uuid references users (id) on delete set null,
  name text not null default '',
  -- The first characters of the key, shown to people so they can tell keys apart.
  prefix text not null,
  -- SHA-256 of the whole key: keys are 256 random bits, so a slow hash adds nothing.
  secret_hash text not null unique,
  scopes text[] not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_org on api_keys (organization_id);

-- Envelopes and what they hold (SPEC §A).
create table envelopes (
  id uuid primary key,
  organization_id uuid not null references organizations (id) on delete cascade,
  title text not null,
  message text not null default '',
  status text not null check (status in ('draft', 'sent', 'completed', 'declined', 'voided', 'expired')),
  sender_name text not null default '',
  sender_email text not null default '',
  created_by_key uuid references api_keys (id) on delete set null,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  completed_at timestamptz,
  declined_at timestamptz,
  voided_at timestamptz,
  void_reason text,
  expires_at timestamptz,
  -- Sealing runs as a job after completion; its state is visible to operators.
  seal_state text not null default 'none' check (seal_state in ('none', 'pending', 'running', 'failed', 'done')),
  seal_attempts integer not null default 0,
  seal_last_error text,
  seal_requested_at timestamptz,
  sealed_at timestamptz,
  sealed_sha256 text,
  sealed_size integer,
  -- Head of the audit hash chain, so that deleting the newest events is detected too.
  audit_count integer not null default 0,
  audit_head_hash text
);
create index envelopes_org_created on envelopes (organization_id, created_at desc, id desc);
create index envelopes_seal_state on envelopes (seal_state) where seal_state in ('pending', 'running', 'failed');

create table documents (
  id uuid primary key,
  envelope_id uuid not null references envelopes (id) on delete cascade,
  organization_id uuid not null,
  position integer not null,
  name text not null,
  sha256 text not null,
  size integer not null,
  page_count integer not null,
  pages jsonb not null,
  unique (envelope_id, position)
);

create table recipients (
  id uuid primary key,
  envelope_id uuid not null references envelopes (id) on delete cascade,
  organization_id uuid not null,
  position integer not null,
  name text not null,
  email text not null,
  role text not null check (role in ('signer', 'approver', 'viewer', 'cc')),
  routing_order integer not null,
  status text not null default 'created'
    check (status in ('created', 'sent', 'delivered', 'completed', 'declined')),
  identity jsonb not null default '[{"kind":"email"}]',
  invited_at timestamptz,
  viewed_at timestamptz,
  consented_at timestamptz,
  completed_at timestamptz,
  declined_at timestamptz,
  decline_reason text,
  signature_kind text check (signature_kind in ('typed', 'drawn')),
  signature_text text,
  signature_png_sha256 text,
  last_ip text,
  last_user_agent text,
  unique (envelope_id, email)
);
create index recipients_envelope on recipients (envelope_id);

create table fields (
  id uuid primary key,
  envelope_id uuid not null references envelopes (id) on delete cascade,
  organization_id uuid not null,
  recipient_id uuid not null references recipients (id) on delete cascade,
  document_id uuid not null references documents (id) on delete cascade,
  position integer not null,
  type text not null
    check (type in ('signature', 'initials', 'dateSigned', 'name', 'email', 'text', 'checkbox')),
  page integer not null,
  x double precision not null,
  y double precision not null,
  width double precision not null,
  height double precision not null,
  required boolean not null default true,
  value jsonb,
  filled_at timestamptz
);
create index fields_envelope on fields (envelope_id);

-- Signing links are capabilities: only their SHA-256 is stored (SPEC §B).
create table signing_tokens (
  id uuid primary key,
  token_hash text not null unique,
  envelope_id uuid not null references envelopes (id) on delete cascade,
  recipient_id uuid not null references recipients (id) on delete cascade,
  purpose text not null check (purpose in ('email', 'embedded', 'copy')),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index signing_tokens_recipient on signing_tokens (recipient_id);

-- Append-only, hash-chained audit trail per envelope (SPEC §D).
create table audit_events (
  envelope_id uuid not null references envelopes (id) on delete cascade,
  seq integer not null,
  organization_id uuid not null,
  type text not null,
  actor text not null,
  ip text,
  user_agent text,
  at timestamptz not null,
  data jsonb not null,
  prev_hash text not null,
  hash text not null,
  primary key (envelope_id, seq)
);

-- Every outgoing mail; in development without SMTP_URL this table is the outbox (SPEC §J).
create table mail_messages (
  id uuid primary key,
  organization_id uuid not null,
  envelope_id uuid references envelopes (id) on delete cascade,
  kind text not null,
  to_address text not null,
  subject text not null,
  text_body text not null,
  html_body text not null,
  attachments jsonb not null default '[]',
  state text not null default 'queued' check (state in ('queued', 'sent', 'failed')),
  transport text,
  attempts integer not null default 0,
  last_error text,
  message_id text,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index mail_messages_created on mail_messages (created_at desc);
