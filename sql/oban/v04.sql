-- V04: oban_wrap_id is no longer used.
DROP FUNCTION IF EXISTS {{prefix}}.oban_wrap_id(bigint);
