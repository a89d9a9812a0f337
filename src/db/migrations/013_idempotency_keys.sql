-- Idempotency-Key (IETF draft "The Idempotency-Key HTTP Header Field"), per principal: an API
-- key (`api-key:<id>`) or a staff user (`user:<id>`). A row is claimed by one insert before the
-- handler runs, so of concurrent requests with one key exactly one runs; it then holds the first
-- final answer for 24 h. See src/http/idempotency.ts.
create table idempotency_keys (
  principal text not null,
  key text not null,
  -- For the 422 that names the request a reused key was first used for; never a secret.
  request_method text not null,
  request_path text not null,
  -- SHA-256 over method, path, query and body (src/http/requestFingerprint.ts).
  fingerprint text not null,
  -- 'in_flight': the first request runs; its process renews the lease while it does, so a key
  -- whose process died is free once the lease runs out. 'stored': the answer below is replayed.
  -- 'not_stored': answered, but too large (or a stream) to keep.
  state text not null check (state in ('in_flight', 'stored', 'not_stored')),
  -- Which attempt holds an in-flight claim: only it may settle the row.
  claim_id uuid not null,
  lease_until timestamptz not null,
  created_at timestamptz not null default now(),
  response_status integer,
  -- Only allow-listed headers (content-type, location).
  response_headers jsonb,
  -- The body exactly as sent, sealed under the master key (it may hold a secret shown once).
  sealed_response_body text,
  primary key (principal, key)
);
-- The maintenance sweep deletes keys older than 24 h.
create index idempotency_keys_created on idempotency_keys (created_at);
