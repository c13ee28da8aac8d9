-- V03: which node and producer attempted a job.
ALTER TABLE {{prefix}}.oban_jobs ADD COLUMN IF NOT EXISTS attempted_by text[];
