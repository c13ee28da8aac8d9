-- V12: any non-negative priority; insert notifications move from the trigger to the application.
ALTER TABLE {{prefix}}.oban_jobs DROP CONSTRAINT IF EXISTS priority_range;
DO $oban$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'non_negative_priority'
                 AND conrelid = '{{prefix_regclass}}.oban_jobs'::regclass) THEN
    ALTER TABLE {{prefix}}.oban_jobs ADD CONSTRAINT non_negative_priority CHECK (priority >= 0) NOT VALID;
  END IF;
END
$oban$;
DROP TRIGGER IF EXISTS oban_notify ON {{prefix}}.oban_jobs;
DROP FUNCTION IF EXISTS {{prefix}}.oban_jobs_notify();
