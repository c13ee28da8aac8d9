-- V06: nothing left to do (it once altered the long-gone oban_beats table).
SELECT 1;
