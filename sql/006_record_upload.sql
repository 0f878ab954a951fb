-- Recording an upload (docs/protocol.md §4.7, §5.2) as ONE call instead of a transaction of five round trips
-- (BEGIN, lock the job, mark the file, queueing check, COMMIT), for the throughput of docs/performance.md §1.
--
-- The route reads the job, runs its guards and checks the file, then calls annopage_record_upload with
-- the row version (xmin) it guarded. The function locks the job row; when the row is no longer that
-- version (cancelled, metadata uploaded, queued, …) it changes nothing and answers changed = true, and
-- the route reads and guards again. Otherwise it marks the file and, on a first-time upload, runs the
-- queueing check. Each statement of a plpgsql function takes a fresh snapshot, so the check sees every
-- upload committed before this one got the lock: two last files arriving together still queue the job
-- exactly once, as with the explicit transaction it replaces.

-- The queueing check of docs/protocol.md §5.2: NEW → QUEUED when every required file is there, the engine's last_used set,
-- and a NOTIFY on annopage_job_queued (src/db/jobs.ts JOB_QUEUED_CHANNEL) for the long-polling workers of
-- every replica, delivered at commit. Returns whether the job was queued.
CREATE FUNCTION annopage_queue_if_complete(p_job uuid, p_now timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_engine uuid;
BEGIN
  UPDATE jobs j SET state = 'QUEUED', last_change = GREATEST(p_now, j.last_change + interval '1 microsecond')
   WHERE j.id = p_job AND j.state = 'NEW'
     AND (NOT j.meta_json_required OR j.meta_json_uploaded)
     AND NOT EXISTS (SELECT 1 FROM images i
                      WHERE i.job_id = j.id
                        AND (NOT i.image_uploaded OR (j.alto_required AND NOT i.alto_uploaded)
                             OR (j.page_required AND NOT i.page_uploaded)))
  RETURNING j.engine_id INTO v_engine;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF v_engine IS NOT NULL THEN
    UPDATE engines SET last_used = p_now WHERE id = v_engine;
  END IF;
  PERFORM pg_notify('annopage_job_queued', '1');
  RETURN true;
END;
$$;

-- p_file: 'image' (with p_md5, p_format, p_width, p_height), 'alto', 'page' (of image p_image) or
-- 'metadata' (of the job; p_image NULL).
CREATE FUNCTION annopage_record_upload(
  p_job uuid, p_version xid, p_file text, p_image uuid,
  p_md5 varchar, p_format varchar, p_width integer, p_height integer, p_now timestamptz,
  OUT changed boolean, OUT first boolean, OUT queued boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_version xid;
  v_was boolean;
BEGIN
  changed := true; first := false; queued := false;
  SELECT j.xmin INTO v_version FROM jobs j WHERE j.id = p_job FOR UPDATE;
  IF NOT FOUND OR NOT (v_version = p_version) THEN
    RETURN;
  END IF;
  changed := false;
  IF p_file = 'image' THEN
    SELECT image_uploaded INTO v_was FROM images WHERE id = p_image AND job_id = p_job;
    UPDATE images SET image_uploaded = true, imagehash = p_md5, image_format = p_format,
                      image_width = p_width, image_height = p_height
     WHERE id = p_image AND job_id = p_job;
  ELSIF p_file = 'alto' THEN
    SELECT alto_uploaded INTO v_was FROM images WHERE id = p_image AND job_id = p_job;
    UPDATE images SET alto_uploaded = true WHERE id = p_image AND job_id = p_job;
  ELSIF p_file = 'page' THEN
    SELECT page_uploaded INTO v_was FROM images WHERE id = p_image AND job_id = p_job;
    UPDATE images SET page_uploaded = true WHERE id = p_image AND job_id = p_job;
  ELSIF p_file = 'metadata' THEN
    SELECT meta_json_uploaded INTO v_was FROM jobs WHERE id = p_job;
    UPDATE jobs SET meta_json_uploaded = true WHERE id = p_job;
  ELSE
    RAISE EXCEPTION 'annopage_record_upload: unknown file kind %', p_file;
  END IF;
  IF v_was IS NULL THEN
    RAISE EXCEPTION 'annopage_record_upload: job % has no image %', p_job, p_image;
  END IF;
  first := NOT v_was;
  IF first THEN
    queued := annopage_queue_if_complete(p_job, p_now);
  END IF;
END;
$$;
