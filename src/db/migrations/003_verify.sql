-- The public verification endpoint asks "did this installation seal exactly this file?" by the
-- file's SHA-256: look sealed documents up by hash without scanning every envelope.
create index if not exists envelopes_sealed_sha256 on envelopes (sealed_sha256) where sealed_sha256 is not null;
