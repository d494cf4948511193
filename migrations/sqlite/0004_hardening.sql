-- First run happens once: its transaction inserts the one row this table can
-- hold, so two racing first runs cannot both create an organisation.
CREATE TABLE first_run (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    done_at BIGINT NOT NULL
);
INSERT INTO first_run (id, done_at) SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM organisations);

-- /healthz proves the database accepts writes by updating this row in a
-- transaction it rolls back.
CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY,
    checked_at BIGINT NOT NULL
);
INSERT INTO health_probe (id, checked_at) VALUES (1, 0);
