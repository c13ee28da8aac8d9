-- V07: an index for pruning finished jobs by attempted_at (dropped again in V10).
CREATE INDEX IF NOT EXISTS oban_jobs_attempted_at_id_index
  ON {{prefix}}.oban_jobs (attempted_at DESC, id)
  WHERE state IN ('completed', 'discarded');
