-- How an organisation's completed documents are signed (SPEC §C): the PAdES level of the
-- platform seal, and whether each signer gets a digital signature of their own before it.
alter table organizations
  add column pades_level text not null default 'B-LTA'
    check (pades_level in ('B-B', 'B-T', 'B-LT', 'B-LTA')),
  add column per_signer_signatures boolean not null default false;
