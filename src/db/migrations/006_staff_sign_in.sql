-- Staff sign-in to the web app (SPEC §E): password, TOTP with recovery codes, sessions.
alter table users
  add column totp_secret_sealed text,
  add column totp_enabled_at timestamptz,
  -- The last TOTP time step accepted: a code is good once (RFC 6238 §5.2).
  add column totp_last_step bigint,
  add column failed_sign_ins integer not null default 0,
  add column locked_until timestamptz,
  add column last_sign_in_at timestamptz;

create table user_recovery_codes (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  code_hash text not null,
  used_at timestamptz
);
create index user_recovery_codes_user on user_recovery_codes (user_id);

-- A session is a random token (stored as SHA-256); one waiting for its second factor is not yet
-- a session anyone can use.
create table staff_sessions (
  token_hash text primary key,
  user_id uuid not null references users (id) on delete cascade,
  organization_id uuid not null,
  second_factor_pending boolean not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  ip text,
  user_agent text
);
create index staff_sessions_user on staff_sessions (user_id);

-- Passkeys (WebAuthn): the public key and signature counter of each registered credential.
create table webauthn_credentials (
  id text primary key,
  user_id uuid not null references users (id) on delete cascade,
  public_key text not null,
  counter bigint not null default 0,
  transports jsonb not null default '[]',
  created_at timestamptz not null default now(),
  last_used_at timestamptz
);
create index webauthn_credentials_user on webauthn_credentials (user_id);

-- Challenges handed to a browser, each good once and for five minutes.
create table webauthn_challenges (
  id uuid primary key,
  user_id uuid references users (id) on delete cascade,
  purpose text not null check (purpose in ('registration', 'authentication')),
  challenge text not null,
  expires_at timestamptz not null
);
