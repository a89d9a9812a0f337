-- A running seal holds a lease it renews while it works. A process that dies mid-seal stops
-- renewing, and the envelope is sealed again as soon as the lease runs out (within a minute)
-- instead of when the queue gives up on the job (fifteen minutes).
alter table envelopes add column seal_lease_until timestamptz;
create index envelopes_seal_lease on envelopes (seal_lease_until) where seal_state = 'running';
