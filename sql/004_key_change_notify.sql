-- Every API server replica keeps verified keys in memory for a short time (src/server/keys/key-cache.ts).
-- A change of a key's credentials, label, role or active flag, or its removal, tells every replica to forget
-- its cached keys (NOTIFY is sent at commit; the cache's short TTL bounds a lost notification).
-- `last_used` alone (UPDATE OF lists the columns that matter) does not fire.
CREATE FUNCTION annopage_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('annopage_keys_changed', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER keys_changed
  AFTER UPDATE OF kid, salt, key_hash, label, role, active OR DELETE ON keys
  FOR EACH STATEMENT EXECUTE FUNCTION annopage_keys_changed();
