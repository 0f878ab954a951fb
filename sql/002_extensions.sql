-- Our additive extensions (protocol "Decisions" 5): engine_settings, lease tokens, idempotent creation.
ALTER TABLE jobs ADD COLUMN engine_settings jsonb;
ALTER TABLE jobs ADD COLUMN lease_token uuid;

-- The FIFO lease claim scans queued jobs by age.
CREATE INDEX ix_jobs_queued_fifo ON jobs (created_date) WHERE state = 'QUEUED';

CREATE TABLE idempotency_keys (
  key_id          uuid         NOT NULL REFERENCES keys (id),
  idempotency_key varchar(255) NOT NULL,
  body_sha256     char(64)     NOT NULL,
  job_id          uuid         NOT NULL REFERENCES jobs (id),
  created_date    timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (key_id, idempotency_key)
);
CREATE INDEX ix_idempotency_keys_created_date ON idempotency_keys (created_date);
