-- A round trip to an identity provider is bound to the browser that started it (login CSRF,
-- session fixation): the start sets a random nonce in a cookie, and only its SHA-256 is kept
-- with the request; the ACS or callback refuses an answer whose browser does not present it.
-- Requests started before this migration have none and are refused: the person starts again.
alter table saml_requests add column browser_binding_hash text;
alter table oidc_requests add column browser_binding_hash text;
