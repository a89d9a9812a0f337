-- Security issue "Secrets at rest": a mail's or text message's body (a signing link, a one-time
-- code) is stored only sealed under the master key (AES-256-GCM, src/blobs/sealedSecrets.ts),
-- opened only by the delivery job and the organisation's outbox, and erased (null) once a real
-- transport has the message, or — a one-time code's message — once its code expired or was used.
alter table mail_messages add column sealed_body text;
alter table mail_messages add column body_expires_at timestamptz;
alter table mail_messages add column identity_check_id uuid references identity_checks (id) on delete set null;
alter table sms_messages add column sealed_body text;
alter table sms_messages add column body_expires_at timestamptz;
alter table sms_messages add column identity_check_id uuid references identity_checks (id) on delete set null;

-- Bodies that earlier versions stored in clear are erased here, not sealed. SQL has no master
-- key; sealing them at the application's start instead would leave every link and code readable
-- until a start got that far (`signet migrate` alone never does, a start that fails never does),
-- while erasing them in the migration's own transaction means no schema with sealed bodies ever
-- holds a clear one. What is lost: the local outbox's history (its links still work and can be
-- re-sent with remind) and mail still waiting for a relay at the upgrade (normally none: delivery
-- takes milliseconds), which is marked failed with the reason rather than sent empty.
update mail_messages set state = 'failed',
       last_error = 'not sent: its body was stored in clear by an earlier version and erased on upgrade (migration 010)'
 where state = 'queued';
update sms_messages set state = 'failed',
       last_error = 'not sent: its body was stored in clear by an earlier version and erased on upgrade (migration 010)'
 where state = 'queued';
alter table mail_messages drop column text_body;
alter table mail_messages drop column html_body;
alter table sms_messages drop column body;

-- The outbox lists one organisation's messages, newest first; the sweep finds expired bodies.
create index mail_messages_organization on mail_messages (organization_id, created_at desc);
create index sms_messages_organization on sms_messages (organization_id, created_at desc);
create index mail_messages_body_expiry on mail_messages (body_expires_at) where sealed_body is not null;
create index sms_messages_body_expiry on sms_messages (body_expires_at) where sealed_body is not null;
