-- Rate limits counted in the database (not per process), so they hold across instances and
-- under parallel requests: one row per limit and key, incremented atomically by an upsert.
-- Rows of windows long gone are swept by the maintenance job.
create table rate_limit_counters (
  key text primary key,
  window_started_at timestamptz not null,
  hits integer not null
);
create index rate_limit_counters_window on rate_limit_counters (window_started_at);
