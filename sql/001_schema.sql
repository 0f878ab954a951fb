-- The DocAPI schema (docs/protocol.md §10): same table, column, type and enum names as the reference,
-- so that our server can run on a database the reference created and vice versa.
CREATE TYPE processingstate AS ENUM ('NEW', 'QUEUED', 'PROCESSING', 'ERROR', 'DONE', 'CANCELLED', 'FAILED');
CREATE TYPE keyrole AS ENUM ('READONLY', 'USER', 'WORKER', 'ADMIN');

CREATE TABLE keys (
  id           uuid PRIMARY KEY,
  kid          varchar(32)  NOT NULL,
  salt         varchar(64)  NOT NULL UNIQUE,
  key_hash     varchar(64)  NOT NULL UNIQUE,
  label        varchar(255) NOT NULL,
  role         keyrole      NOT NULL DEFAULT 'USER',
  active       boolean      NOT NULL DEFAULT true,
  created_date timestamptz  NOT NULL DEFAULT now(),
  last_used    timestamptz
);
CREATE UNIQUE INDEX ix_keys_kid ON keys (kid);
CREATE UNIQUE INDEX ix_keys_label ON keys (label);
CREATE INDEX ix_keys_role ON keys (role);
CREATE INDEX ix_keys_active ON keys (active);
CREATE INDEX ix_keys_created_date ON keys (created_date);
CREATE INDEX ix_keys_last_used ON keys (last_used);

CREATE TABLE engines (
  id            uuid PRIMARY KEY,
  name          varchar(255) NOT NULL,
  version       varchar(64)  NOT NULL,
  description   text         NOT NULL,
  definition    jsonb,
  "default"     boolean      NOT NULL DEFAULT false,
  active        boolean      NOT NULL DEFAULT true,
  created_date  timestamptz  NOT NULL DEFAULT now(),
  last_used     timestamptz,
  files_updated timestamptz,
  CONSTRAINT unique_engine_name_version UNIQUE (name, version)
);
CREATE INDEX ix_engines_name ON engines (name);
CREATE INDEX ix_engines_version ON engines (version);
CREATE INDEX ix_engines_default ON engines ("default");
CREATE INDEX ix_engines_active ON engines (active);
CREATE INDEX ix_engines_created_date ON engines (created_date);
CREATE INDEX ix_engines_last_used ON engines (last_used);
CREATE INDEX ix_engines_files_updated ON engines (files_updated);

CREATE TABLE jobs (
  id                 uuid PRIMARY KEY,
  owner_key_id       uuid NOT NULL REFERENCES keys (id),
  worker_key_id      uuid REFERENCES keys (id),
  engine_id          uuid REFERENCES engines (id),
  definition         jsonb NOT NULL,
  alto_required      boolean NOT NULL,
  page_required      boolean NOT NULL,
  meta_json_required boolean NOT NULL,
  meta_json_uploaded boolean NOT NULL,
  state              processingstate NOT NULL,
  progress           double precision NOT NULL,
  previous_attempts  integer,
  created_date       timestamptz NOT NULL,
  started_date       timestamptz,
  last_change        timestamptz NOT NULL,
  finished_date      timestamptz,
  log                varchar,
  log_user           varchar
);
CREATE INDEX ix_jobs_owner_key_id ON jobs (owner_key_id);
CREATE INDEX ix_jobs_worker_key_id ON jobs (worker_key_id);
CREATE INDEX ix_jobs_engine_id ON jobs (engine_id);
CREATE INDEX ix_jobs_alto_required ON jobs (alto_required);
CREATE INDEX ix_jobs_page_required ON jobs (page_required);
CREATE INDEX ix_jobs_meta_json_required ON jobs (meta_json_required);
CREATE INDEX ix_jobs_meta_json_uploaded ON jobs (meta_json_uploaded);
CREATE INDEX ix_jobs_state ON jobs (state);
CREATE INDEX ix_jobs_progress ON jobs (progress);
CREATE INDEX ix_jobs_previous_attempts ON jobs (previous_attempts);
CREATE INDEX ix_jobs_created_date ON jobs (created_date);
CREATE INDEX ix_jobs_started_date ON jobs (started_date);
CREATE INDEX ix_jobs_last_change ON jobs (last_change);
CREATE INDEX ix_jobs_finished_date ON jobs (finished_date);

CREATE TABLE images (
  id             uuid PRIMARY KEY,
  name           varchar(300) NOT NULL,
  "order"        integer NOT NULL,
  imagehash      varchar,
  image_uploaded boolean NOT NULL,
  alto_uploaded  boolean NOT NULL,
  page_uploaded  boolean NOT NULL,
  job_id         uuid NOT NULL REFERENCES jobs (id)
);
CREATE INDEX ix_images_name ON images (name);
CREATE INDEX ix_images_order ON images ("order");
CREATE INDEX ix_images_imagehash ON images (imagehash);
CREATE INDEX ix_images_image_uploaded ON images (image_uploaded);
CREATE INDEX ix_images_alto_uploaded ON images (alto_uploaded);
CREATE INDEX ix_images_page_uploaded ON images (page_uploaded);
CREATE INDEX ix_images_job_id ON images (job_id);
