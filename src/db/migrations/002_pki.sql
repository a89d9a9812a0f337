-- Certificates Signet's own CA issued (SPEC: PKI), so its OCSP responder and CRLs can say
-- which are good and which are revoked. CA certificates issued by the root are kept here too:
-- the root CRL lists a revoked issuing CA.
create table pki_certificates (
  -- What an OCSP CertID names (RFC 6960 §4.1.1): the issuer's key, as the lowercase hex SHA-1
  -- of its subjectPublicKey BIT STRING (= Signet's subjectKeyIdentifier), and the serial number.
  issuer_key_sha1 text not null,
  -- Lowercase hex of the serial number's content octets, without leading zero octets.
  serial text not null,
  issuer text not null,
  subject text not null,
  not_before timestamptz not null,
  not_after timestamptz not null,
  revoked_at timestamptz,
  -- RFC 5280 §5.3.1 CRLReason name; set exactly when revoked_at is.
  revocation_reason text check (revocation_reason in (
    'unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded',
    'cessationOfOperation', 'privilegeWithdrawn', 'aACompromise')),
  der bytea not null,
  created_at timestamptz not null default now(),
  primary key (issuer_key_sha1, serial),
  check ((revoked_at is null) = (revocation_reason is null))
);
create index pki_certificates_serial on pki_certificates (serial);
create index pki_certificates_revoked on pki_certificates (issuer_key_sha1) where revoked_at is not null;

-- RFC 5280 §5.2.3: CRL numbers only ever increase; one sequence serves both CRL issuers.
create sequence pki_crl_number;
