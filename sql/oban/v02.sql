-- V02: a partial scheduled_at index, length checks on worker and queue, oban_wrap_id.
DROP INDEX IF EXISTS {{prefix}}.oban_jobs_scheduled_at_index;
CREATE INDEX IF NOT EXISTS oban_jobs_scheduled_at_index ON {{prefix}}.oban_jobs (scheduled_at)
  WHERE state IN ('available', 'scheduled');

DO $oban$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'worker_length'
                 AND conrelid = '{{prefix_regclass}}.oban_jobs'::regclass) THEN
    ALTER TABLE {{prefix}}.oban_jobs ADD CONSTRAINT worker_length
      CHECK (char_length(worker) > 0 AND char_length(worker) < 128);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'queue_length'
                 AND conrelid = '{{prefix_regclass}}.oban_jobs'::regclass) THEN
    ALTER TABLE {{prefix}}.oban_jobs ADD CONSTRAINT queue_length
      CHECK (char_length(queue) > 0 AND char_length(queue) < 128);
  END IF;
END
$oban$;

CREATE OR REPLACE FUNCTION {{prefix}}.oban_wrap_id(value bigint) RETURNS int AS $oban$
BEGIN
  RETURN (CASE WHEN value > 2147483647 THEN mod(value, 2147483647) ELSE value END)::int;
END;
$oban$ LANGUAGE plpgsql IMMUTABLE;
