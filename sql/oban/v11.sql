-- V11: the peers table for leader election; UNLOGGED, since a lease is worthless after a crash.
CREATE TABLE IF NOT EXISTS {{prefix}}.oban_peers (
  name text NOT NULL PRIMARY KEY,
  node text NOT NULL,
  started_at timestamp without time zone NOT NULL,
  expires_at timestamp without time zone NOT NULL
);
ALTER TABLE {{prefix}}.oban_peers SET UNLOGGED;
