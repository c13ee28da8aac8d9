-- V14: the suspended state, placed before scheduled (PostgreSQL 14 or later).
ALTER TYPE {{prefix}}.oban_job_state ADD VALUE IF NOT EXISTS 'suspended' BEFORE 'scheduled';
