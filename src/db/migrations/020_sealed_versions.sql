-- Every sealed version of an envelope's document (issue #13, archive renewal): the seal's, then
-- one more each time a new archive time-stamp is added. A renewal is stored beside the version it
-- renews, never in its place; the envelope's sealed_sha256 names the newest, which downloads,
-- mails and the evidence give.
create table sealed_versions (
  envelope_id uuid not null references envelopes (id) on delete cascade,
  version integer not null check (version >= 1),
  sha256 text not null,
  size integer not null,
  created_at timestamptz not null default now(),
  reason text not null check (reason in ('seal', 'renewal')),
  -- The earliest certificate expiry in the newest archive time-stamp's chain; null: not yet
  -- looked at, or the file has no archive time-stamp (then archive_checked_at is set).
  archive_expires_at timestamptz,
  -- When the renewal job last read this version.
  archive_checked_at timestamptz,
  primary key (envelope_id, version)
);
create index sealed_versions_sha256 on sealed_versions (sha256);
create index sealed_versions_archive_expires_at on sealed_versions (archive_expires_at);

-- Envelopes sealed before this migration: their seal is version 1.
insert into sealed_versions (envelope_id, version, sha256, size, created_at, reason)
  select id, 1, sealed_sha256, sealed_size, coalesce(sealed_at, now()), 'seal'
    from envelopes where sealed_sha256 is not null;
