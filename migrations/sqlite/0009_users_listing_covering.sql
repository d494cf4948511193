-- Postgres makes its listing indexes covering in this step (see
-- migrations/postgres/0009); SQLite reads an expression index's key without
-- its table row already, so nothing changes here.
SELECT 1;
