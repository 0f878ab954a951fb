-- docs/decisions.md §4: images are stored byte for byte as uploaded; the detected format (file extension of
-- the stored file and the download content type) and the decoded size are recorded.
ALTER TABLE images ADD COLUMN image_format varchar(16);
ALTER TABLE images ADD COLUMN image_width integer;
ALTER TABLE images ADD COLUMN image_height integer;
-- Uploads address images by (job_id, name).
CREATE INDEX ix_images_job_id_name ON images (job_id, name);
