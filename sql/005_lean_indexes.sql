-- The reference schema (001) indexes nearly every column of jobs and images. No query of this server
-- filters on most of them, yet every state change of a job (queued, leased, heartbeat, done) rewrote
-- all fifteen jobs indexes, and every upload flag all nine images indexes (docs/performance.md §1: the reference's slow
-- paths do not come along). Kept: primary keys, the foreign-key indexes (owner, worker, engine),
-- jobs.created_date (listing order), the FIFO queue index (002) and images (job_id, name) (003).
-- Table, column, type and enum names are unchanged, so the reference can still run on this database.
DROP INDEX IF EXISTS ix_jobs_alto_required;
DROP INDEX IF EXISTS ix_jobs_page_required;
DROP INDEX IF EXISTS ix_jobs_meta_json_required;
DROP INDEX IF EXISTS ix_jobs_meta_json_uploaded;
DROP INDEX IF EXISTS ix_jobs_progress;
DROP INDEX IF EXISTS ix_jobs_previous_attempts;
DROP INDEX IF EXISTS ix_jobs_started_date;
DROP INDEX IF EXISTS ix_jobs_last_change;
DROP INDEX IF EXISTS ix_jobs_finished_date;
DROP INDEX IF EXISTS ix_jobs_state;
DROP INDEX IF EXISTS ix_images_name;
DROP INDEX IF EXISTS ix_images_order;
DROP INDEX IF EXISTS ix_images_imagehash;
DROP INDEX IF EXISTS ix_images_image_uploaded;
DROP INDEX IF EXISTS ix_images_alto_uploaded;
DROP INDEX IF EXISTS ix_images_page_uploaded;
DROP INDEX IF EXISTS ix_images_job_id; -- a prefix of ix_images_job_id_name

-- The lease sweep looks for ERROR jobs and PROCESSING jobs past their lease: few rows at any time.
-- Indexing state only (not last_change) lets a heartbeat's UPDATE stay a HOT update.
CREATE INDEX IF NOT EXISTS ix_jobs_sweep ON jobs (state) WHERE state IN ('PROCESSING', 'ERROR');
