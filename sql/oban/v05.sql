-- V05: one compound index replaces the single-column ones.
DROP INDEX IF EXISTS {{prefix}}.oban_jobs_scheduled_at_index;
DROP INDEX IF EXISTS {{prefix}}.oban_jobs_queue_index;
DROP INDEX IF EXISTS {{prefix}}.oban_jobs_state_index;
CREATE INDEX IF NOT EXISTS oban_jobs_queue_state_scheduled_at_id_index
  ON {{prefix}}.oban_jobs (queue, state, scheduled_at, id);
