-- V08: discarded_at, priority and tags; the fetch index; an insert-only trigger.
ALTER TABLE {{prefix}}.oban_jobs ADD COLUMN IF NOT EXISTS discarded_at timestamp without time zone;
ALTER TABLE {{prefix}}.oban_jobs ADD COLUMN IF NOT EXISTS priority integer DEFAULT 0;
ALTER TABLE {{prefix}}.oban_jobs ADD COLUMN IF NOT EXISTS tags text[] DEFAULT ARRAY[]::text[];

DROP INDEX IF EXISTS {{prefix}}.oban_jobs_queue_state_scheduled_at_id_index;
CREATE INDEX IF NOT EXISTS oban_jobs_state_queue_priority_scheduled_at_id_index
  ON {{prefix}}.oban_jobs (state, queue, priority, scheduled_at, id);

CREATE OR REPLACE FUNCTION {{prefix}}.oban_jobs_notify() RETURNS trigger AS $oban$
BEGIN
  IF NEW.state = 'available' THEN
    PERFORM pg_notify('{{channel_prefix}}.oban_insert', json_build_object('queue', NEW.queue)::text);
  END IF;
  RETURN NULL;
END;
$oban$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS oban_notify ON {{prefix}}.oban_jobs;
CREATE TRIGGER oban_notify AFTER INSERT ON {{prefix}}.oban_jobs
  FOR EACH ROW EXECUTE PROCEDURE {{prefix}}.oban_jobs_notify();
