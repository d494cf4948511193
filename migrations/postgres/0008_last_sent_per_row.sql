-- users.last_sent_at follows invitations row by row (as on SQLite), not
-- once per statement: 0007's statement trigger joined its transition table
-- to users without statistics on it, and Postgres read all of users for
-- every bulk invite (2.5 s at 10,000 rows beside 100,000 users). Writers set
-- users.last_sent_at themselves when they create a user with its
-- invitation, so for them the trigger's UPDATE finds nothing to change.
DROP TRIGGER users_last_sent_after_insert ON invitations;
DROP TRIGGER users_last_sent_after_update ON invitations;
DROP FUNCTION users_follow_last_sent();
CREATE FUNCTION users_follow_last_sent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET last_sent_at = NEW.last_sent_at
    WHERE id = NEW.user_id AND last_sent_at < NEW.last_sent_at;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_last_sent_after_insert AFTER INSERT ON invitations
    FOR EACH ROW WHEN (NEW.user_id IS NOT NULL)
    EXECUTE FUNCTION users_follow_last_sent();
CREATE TRIGGER users_last_sent_after_update AFTER UPDATE OF last_sent_at, user_id ON invitations
    FOR EACH ROW WHEN (NEW.user_id IS NOT NULL)
    EXECUTE FUNCTION users_follow_last_sent();
