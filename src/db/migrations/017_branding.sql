-- Organisation settings and white-label branding (SPEC §G, issue #11): what signers see is the
-- organisation's brand, in the recipient's language, on the organisation's own domain.
alter table organizations
  -- Null: the organisation's name. Never Signet's.
  add column product_name text,
  add column primary_color text check (primary_color ~ '^#[0-9a-f]{6}$'),
  add column email_sender_name text,
  add column reply_to text,
  -- The logo is a blob like a document (encrypted at rest), served publicly by its organisation id.
  add column logo_sha256 text,
  add column logo_content_type text check (logo_content_type in ('image/png', 'image/jpeg')),
  add column logo_width integer,
  add column logo_height integer,
  -- Null: the standard wording.
  add column consent_text text,
  add column default_language text not null default 'en' check (default_language in ('en', 'de')),
  -- Null: ENVELOPE_EXPIRY_DAYS.
  add column default_expiry_days integer check (default_expiry_days between 1 and 3650),
  -- Automatic reminders for new envelopes: the first after N days, then every M days (null: once);
  -- first null: none.
  add column reminder_first_days integer check (reminder_first_days between 1 and 365),
  add column reminder_every_days integer check (reminder_every_days between 1 and 365),
  -- Lower-case host name; links built for the organisation use https://<custom_domain>.
  add column custom_domain text unique,
  -- False for the first start's organisation until someone gives it its real name.
  add column name_confirmed boolean not null default true;

-- An organisation's own wording for a kind of mail, per language (the default is the catalogue's).
create table email_templates (
  organization_id uuid not null references organizations (id) on delete cascade,
  kind text not null,
  language text not null check (language in ('en', 'de')),
  subject text not null,
  body text not null,
  updated_at timestamptz not null default now(),
  primary key (organization_id, kind, language)
);

-- The recipient's language for mail (null: the organisation's default).
alter table recipients add column language text check (language in ('en', 'de'));

-- Each envelope keeps the lifetime and reminder schedule it was created with; the schedule's
-- next reminder is due at next_reminder_at (null: none).
alter table envelopes
  add column expiry_days integer check (expiry_days between 1 and 3650),
  add column reminder_first_days integer check (reminder_first_days between 1 and 365),
  add column reminder_every_days integer check (reminder_every_days between 1 and 365),
  add column next_reminder_at timestamptz;
create index envelopes_next_reminder on envelopes (next_reminder_at) where status = 'sent' and next_reminder_at is not null;

-- Who a mail comes from ("Ada Lovelace via Acme") and where replies go.
alter table mail_messages
  add column from_name text,
  add column reply_to text;
