-- The web signing ceremony (issue #11): documents a recipient has opened, adopted initials and
-- uploaded signatures, embedded signing's return URL and the origins allowed to frame the ceremony.

-- Each document a recipient opened through their link, the first time (SPEC §B: a signer cannot
-- finish before every document was presented). The audit chain holds the evidence
-- (`document.viewed`); this table is what `finish` checks, written by envelopes/aggregate/store.ts.
create table document_views (
  envelope_id uuid not null references envelopes (id) on delete cascade,
  recipient_id uuid not null references recipients (id) on delete cascade,
  document_id uuid not null references documents (id) on delete cascade,
  first_viewed_at timestamptz not null default now(),
  primary key (recipient_id, document_id)
);

-- A signature may also be an image the signer uploaded; initials are adopted like the signature
-- (typed, drawn or uploaded), each stamped into every initials field of the recipient.
alter table recipients drop constraint recipients_signature_kind_check;
alter table recipients add constraint recipients_signature_kind_check
  check (signature_kind in ('typed', 'drawn', 'uploaded'));
alter table recipients add column initials_kind text
  check (initials_kind in ('typed', 'drawn', 'uploaded'));
alter table recipients add column initials_text text;
alter table recipients add column initials_png_sha256 text;

-- Embedded signing: where the integrator's page wants the signer sent when they are done.
alter table signing_tokens add column return_url text;

-- The origins (scheme://host[:port]) whose pages may show this organisation's signing
-- ceremony in a frame (Content-Security-Policy frame-ancestors); none by default.
alter table organizations add column embedding_origins text[] not null default '{}';
