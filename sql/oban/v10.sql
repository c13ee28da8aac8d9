-- V10: args default, NOT NULL priority, range checks, GIN indexes on args and meta.
ALTER TABLE {{prefix}}.oban_jobs ALTER COLUMN args SET DEFAULT '{}'::jsonb;
UPDATE {{prefix}}.oban_jobs SET priority = 0 WHERE priority IS NULL;
ALTER TABLE {{prefix}}.oban_jobs ALTER COLUMN priority SET NOT NULL;

DO $oban$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'priority_range'
                 AND conrelid = '{{prefix_regclass}}.oban_jobs'::regclass) THEN
    ALTER TABLE {{prefix}}.oban_jobs ADD CONSTRAINT priority_range CHECK (priority >= 0 AND priority <= 3);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'positive_max_attempts'
                 AND conrelid = '{{prefix_regclass}}.oban_jobs'::regclass) THEN
    ALTER TABLE {{prefix}}.oban_jobs ADD CONSTRAINT positive_max_attempts CHECK (max_attempts > 0);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'attempt_range'
                 AND conrelid = '{{prefix_regclass}}.oban_jobs'::regclass) THEN
    ALTER TABLE {{prefix}}.oban_jobs ADD CONSTRAINT attempt_range CHECK (attempt >= 0 AND attempt <= max_attempts);
  END IF;
END
$oban$;

DROP INDEX IF EXISTS {{prefix}}.oban_jobs_args_vector;
DROP INDEX IF EXISTS {{prefix}}.oban_jobs_worker_gist;
DROP INDEX IF EXISTS {{prefix}}.oban_jobs_attempted_at_id_index;
CREATE INDEX IF NOT EXISTS oban_jobs_args_index ON {{prefix}}.oban_jobs USING gin (args);
CREATE INDEX IF NOT EXISTS oban_jobs_meta_index ON {{prefix}}.oban_jobs USING gin (meta);
