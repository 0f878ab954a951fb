-- Indexes for a big jobs table (docs/performance.md §2: 10⁶ finished jobs; bench/big-table.ts shows the plans).
-- A key's jobs, newest first (GET /v1/jobs of user/readonly keys, paged with limit/offset): the index is walked in
-- the list's order and the walk stops after the page, instead of filtering the whole created_date index; the page's
-- X-Total-Count of one key, with or without a state filter, becomes an index-only scan (state is included: a state
-- change is never a HOT update anyway, the partial indexes of 002/005 name it). It replaces the plain foreign-key
-- index, its prefix.
CREATE INDEX IF NOT EXISTS ix_jobs_owner_created ON jobs (owner_key_id, created_date DESC, id) INCLUDE (state);
DROP INDEX IF EXISTS ix_jobs_owner_key_id;
-- The dashboard's change feed (GET /v1/jobs/events) asks every second for the jobs whose last_change or
-- finished_date is in the last seconds: a bitmap OR of these two instead of a scan of the whole table. (005 had
-- dropped them to keep heartbeats HOT updates; a heartbeat now also writes these index entries, a few per second
-- for a farm of workers, against a scan of every row per second while a dashboard is open.)
CREATE INDEX IF NOT EXISTS ix_jobs_last_change ON jobs (last_change);
CREATE INDEX IF NOT EXISTS ix_jobs_finished_date ON jobs (finished_date);
