-- Identity checks of signers (SPEC §E). A recipient's methods are listed in recipients.identity
-- (what the sender asked for, without secrets); each method's state lives in one row here.
create table identity_checks (
  id uuid primary key,
  organization_id uuid not null,
  envelope_id uuid not null references envelopes (id) on delete cascade,
  recipient_id uuid not null references recipients (id) on delete cascade,
  position integer not null,
  kind text not null check (kind in ('email', 'accessCode', 'otp', 'saml', 'oidc')),
  status text not null default 'pending' check (status in ('pending', 'passed', 'failed', 'locked')),
  -- The last outcome's stable code (e.g. ACCESS_CODE_WRONG, SAML_AUDIENCE), shown to the signer.
  reason text,
  -- Failed attempts against the current secret, and in total (the lockout counts the total).
  attempts integer not null default 0,
  total_failures integer not null default 0,
  -- scrypt hash of the access code or of the one-time code in force; never the code itself.
  secret_hash text,
  secret_expires_at timestamptz,
  sends integer not null default 0,
  last_sent_at timestamptz,
  -- What the sender configured that is not secret: OTP channel and phone, SAML level and the
  -- identity to match.
  settings jsonb not null default '{}',
  -- What proved it: IdP, level of assurance, MDS match result, IP and user agent.
  evidence jsonb,
  passed_at timestamptz,
  updated_at timestamptz not null default now(),
  unique (recipient_id, position)
);
create index identity_checks_envelope on identity_checks (envelope_id);

-- One-time codes sent by SMS: an outbox like mail_messages, delivered by the `sms.send` job.
create table sms_messages (
  id uuid primary key,
  organization_id uuid not null,
  envelope_id uuid references envelopes (id) on delete cascade,
  to_number text not null,
  body text not null,
  state text not null default 'queued' check (state in ('queued', 'sent', 'failed')),
  transport text,
  provider_id text,
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);

-- The organisation's SAML identity provider (one per organisation for now).
create table saml_identity_providers (
  organization_id uuid primary key,
  entity_id text not null,
  sso_redirect_url text,
  sso_post_url text,
  certificates jsonb not null,
  clock_skew_seconds integer not null default 60 check (clock_skew_seconds between 0 and 300),
  response_timeout_seconds integer not null default 600 check (response_timeout_seconds between 30 and 3600),
  metadata_xml text not null,
  updated_at timestamptz not null default now()
);

-- AuthnRequests sent and not yet answered: InResponseTo must name one of these, once, in time
-- (kept in the database so the rule holds across instances).
create table saml_requests (
  id text primary key,
  organization_id uuid not null,
  identity_check_id uuid not null references identity_checks (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  consumed_at timestamptz
);

-- Assertion IDs already accepted, until they expire: a replayed assertion is refused.
create table saml_assertion_ids (
  organization_id uuid not null,
  assertion_id text not null,
  expires_at timestamptz not null,
  primary key (organization_id, assertion_id)
);

-- The organisation's OpenID Connect provider for signer checks. The client secret is sealed
-- with the master key (AES-256-GCM), like documents.
create table oidc_providers (
  organization_id uuid primary key,
  issuer text not null,
  client_id text not null,
  client_secret_sealed text not null,
  scopes text not null default 'openid email profile',
  response_timeout_seconds integer not null default 600 check (response_timeout_seconds between 30 and 3600),
  updated_at timestamptz not null default now()
);

-- Authorization requests in flight: state names one, once, in time; the PKCE verifier and the
-- nonce it must come back with.
create table oidc_requests (
  state text primary key,
  organization_id uuid not null,
  identity_check_id uuid not null references identity_checks (id) on delete cascade,
  code_verifier_sealed text not null,
  nonce text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  consumed_at timestamptz
);
