-- Webhooks (src/webhooks/): an organisation's endpoints, the messages its envelopes' transitions
-- make, one delivery of a message to each endpoint that listens, and every attempt of it.

create table webhook_endpoints (
  id uuid primary key,
  organization_id uuid not null references organizations (id) on delete cascade,
  url text not null,
  description text not null default '',
  -- The event types sent; null: every type, those added later included.
  events text[],
  enabled boolean not null default true,
  disabled_at timestamptz,
  disabled_reason text,
  -- The signing secret (whsec_…) sealed under the master key, and the one it replaced, which
  -- signs beside it until it expires (24 hours after a rotation).
  sealed_secret text not null,
  sealed_previous_secret text,
  previous_secret_expires_at timestamptz,
  -- When the current run of failed attempts began; null after a success. Five days of failures
  -- disable the endpoint.
  failing_since timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_endpoints_organization on webhook_endpoints (organization_id, created_at);

-- The body is kept as sent: every attempt and replay signs the same bytes under the same id.
create table webhook_messages (
  id text primary key,
  organization_id uuid not null references organizations (id) on delete cascade,
  -- No foreign key: a deleted draft's messages stay in the delivery log.
  envelope_id uuid,
  type text not null,
  body text not null,
  created_at timestamptz not null default now()
);
create index webhook_messages_created on webhook_messages (created_at);

create table webhook_deliveries (
  id uuid primary key,
  message_id text not null references webhook_messages (id) on delete cascade,
  endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
  organization_id uuid not null,
  state text not null default 'pending' check (state in ('pending', 'succeeded', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz,
  -- Retries stop here: three days after the message, or after a replay.
  retry_until timestamptz not null,
  -- Held by the process making an attempt, so a duplicate job does not send twice at once.
  lease_until timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  unique (endpoint_id, message_id)
);
create index webhook_deliveries_message on webhook_deliveries (message_id);

-- The delivery log: one row per HTTP attempt.
create table webhook_attempts (
  id uuid primary key,
  delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
  endpoint_id uuid not null,
  message_id text not null,
  attempt integer not null,
  status text not null check (status in ('succeeded', 'failed')),
  response_status integer,
  latency_ms integer not null,
  -- The first 64 kB of the answer, as text.
  response_excerpt text,
  -- Why an attempt failed without an HTTP status: an outbound error code (OUTBOUND_TIMEOUT, …).
  error text,
  at timestamptz not null default now()
);
create index webhook_attempts_endpoint on webhook_attempts (endpoint_id, at desc, id desc);
create index webhook_attempts_delivery on webhook_attempts (delivery_id);

-- Keys that administer an organisation manage its webhooks too (src/orgs/apiKeys.ts).
update api_keys
   set scopes = scopes || array['webhooks:read', 'webhooks:write']
 where 'organization:admin' = any (scopes) and not ('webhooks:write' = any (scopes));
