-- Organisation single sign-on for staff (SPEC §E) through the same SAML and OpenID Connect
-- providers as signer checks: an admin opts a provider in for staff; its round trips are kept
-- beside the signers' ones, marked by purpose, and end in a one-time sign-in code.
alter table saml_identity_providers add column staff_sign_in boolean not null default false;
alter table oidc_providers add column staff_sign_in boolean not null default false;

alter table saml_requests
  alter column identity_check_id drop not null,
  add column purpose text not null default 'signer' check (purpose in ('signer', 'staff')),
  add constraint saml_requests_purpose_check_id check ((purpose = 'signer') = (identity_check_id is not null));
alter table oidc_requests
  alter column identity_check_id drop not null,
  add column purpose text not null default 'signer' check (purpose in ('signer', 'staff')),
  add constraint oidc_requests_purpose_check_id check ((purpose = 'signer') = (identity_check_id is not null));

-- What the provider's answer turns into: a code good once, for two minutes, that the browser
-- exchanges for a session token (so the token itself never appears in a URL). Stored hashed.
create table sso_sign_in_codes (
  code_hash text primary key,
  user_id uuid not null references users (id) on delete cascade,
  organization_id uuid not null,
  method text not null check (method in ('saml', 'oidc')),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
