-- V01: the job state enum, the jobs table, its first indexes and the notify trigger.
-- A fresh enum already carries every state in its final order (suspended and cancelled
-- included), as Oban's V01 creates it today.
DO $oban$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typname = 'oban_job_state' AND n.nspname = {{prefix_literal}}
  ) THEN
    CREATE TYPE {{prefix}}.oban_job_state AS ENUM (
      'available', 'suspended', 'scheduled', 'executing',
      'retryable', 'completed', 'discarded', 'cancelled'
    );
  END IF;
END
$oban$;

CREATE TABLE IF NOT EXISTS {{prefix}}.oban_jobs (
  id bigserial PRIMARY KEY,
  state {{prefix}}.oban_job_state NOT NULL DEFAULT 'available',
  queue text NOT NULL DEFAULT 'default',
  worker text NOT NULL,
  args jsonb NOT NULL,
  errors jsonb[] NOT NULL DEFAULT ARRAY[]::jsonb[],
  attempt integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 20,
  inserted_at timestamp without time zone NOT NULL DEFAULT timezone('UTC', now()),
  scheduled_at timestamp without time zone NOT NULL DEFAULT timezone('UTC', now()),
  attempted_at timestamp without time zone,
  completed_at timestamp without time zone
);

CREATE INDEX IF NOT EXISTS oban_jobs_queue_index ON {{prefix}}.oban_jobs (queue);
CREATE INDEX IF NOT EXISTS oban_jobs_state_index ON {{prefix}}.oban_jobs (state);
CREATE INDEX IF NOT EXISTS oban_jobs_scheduled_at_index ON {{prefix}}.oban_jobs (scheduled_at);

-- The original trigger: inserts that are due notify <prefix>.oban_insert, state changes
-- notify <prefix>.oban_update. Rewritten by V08, dropped by V12.
CREATE OR REPLACE FUNCTION {{prefix}}.oban_jobs_notify() RETURNS trigger AS $oban$
DECLARE
  notice json;
BEGIN
  IF (TG_OP = 'INSERT') THEN
    IF NEW.scheduled_at IS NULL OR NEW.scheduled_at <= timezone('UTC', now()) THEN
      notice = json_build_object('queue', NEW.queue, 'state', NEW.state);
      PERFORM pg_notify('{{channel_prefix}}.oban_insert', notice::text);
    END IF;
  ELSE
    notice = json_build_object('queue', NEW.queue, 'new_state', NEW.state, 'old_state', OLD.state);
    PERFORM pg_notify('{{channel_prefix}}.oban_update', notice::text);
  END IF;
  RETURN NULL;
END;
$oban$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS oban_notify ON {{prefix}}.oban_jobs;
CREATE TRIGGER oban_notify AFTER INSERT OR UPDATE OF state ON {{prefix}}.oban_jobs
  FOR EACH ROW EXECUTE PROCEDURE {{prefix}}.oban_jobs_notify();
