-- Per-signer signatures made when each signer finishes (SPEC §C, issue #13): each signer's
-- revision of the envelope's signing document — the originals, the values of the signers before
-- them and their own, then their digital signature — in the order they were applied. The newest
-- is what the next signer's revision, and finally the seal, build on; earlier ones stay as the
-- record of what each signer signed. The primary key is the guard against two processes
-- applying a signature on the same base: the second insert of a seq fails and starts again.
create table signer_revisions (
  envelope_id uuid not null references envelopes (id) on delete cascade,
  seq integer not null check (seq >= 1),
  recipient_id uuid not null unique references recipients (id) on delete cascade,
  -- The signed revision (a blob, encrypted at rest like every document).
  pdf_sha256 text not null,
  -- The signer's one-time certificate, lower-case hex as the certificate register keeps it.
  certificate_serial text not null,
  -- /M of the signature and the moment the certificate was issued for it.
  signed_at timestamptz not null,
  primary key (envelope_id, seq)
);
