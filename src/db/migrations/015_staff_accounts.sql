-- Staff accounts (issue 11): people are invited by mail, can be deactivated, and reset a
-- forgotten password by mail (src/orgs/accounts.ts).

-- A deactivated user cannot sign in, has no session, and the API keys they made stop working
-- until they are reactivated; the row stays, so audit trails keep naming them.
alter table users add column deactivated_at timestamptz;

-- The users page lists an organisation's people in the order they joined.
create index users_organization_created on users (organization_id, created_at, id);

-- One-time links for staff accounts: an invitation to set a first password (7 days) and a
-- password reset (1 hour). Only the SHA-256 of the token is kept, as for sessions; each is
-- good once (used_at), and issuing a new one of a kind ends the user's earlier unused ones.
create table account_tokens (
  token_hash text primary key,
  user_id uuid not null references users (id) on delete cascade,
  organization_id uuid not null references organizations (id) on delete cascade,
  purpose text not null check (purpose in ('invitation', 'password-reset')),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index account_tokens_user on account_tokens (user_id, purpose);
