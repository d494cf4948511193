-- R27: automatic reminders. An organisation's schedule is a list of days
-- after the invitation ("2,5"), empty when off (the default). Each reminder
-- sent is a row: the key makes a second sender for the same step fail, so
-- several instances on one database never send one reminder twice.
ALTER TABLE organisations ADD COLUMN reminder_days TEXT NOT NULL DEFAULT '';
CREATE TABLE reminders (
    invitation_id TEXT NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    step          INTEGER NOT NULL,  -- which day of the schedule, from 0
    sent_at       INTEGER NOT NULL,
    PRIMARY KEY (invitation_id, step)
);
