-- The users table at 100,000 users (SPEC §8), continued: search through
-- trigrams, and an index for every sort so that keyset paging seeks to any page.

-- Search: case-insensitive "contains" on name or email, served by trigram
-- GIN indexes. pg_trgm is a trusted extension (PostgreSQL 13 and later): the
-- database's owner, or any role with CREATE on it, may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_name_trgm ON users USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX users_email_trgm ON users USING gin (email gin_trgm_ops);

-- The Last sent sort reads the newest invitation email's time from the user
-- row (0: never sent), kept by triggers on every invitation written or resent
-- (once per statement, so a bulk invite's multi-row INSERT updates in one go).
ALTER TABLE users ADD COLUMN last_sent_at BIGINT NOT NULL DEFAULT 0;
UPDATE users u SET last_sent_at = i.sent
FROM (SELECT user_id, MAX(last_sent_at) AS sent FROM invitations
      WHERE user_id IS NOT NULL GROUP BY user_id) i
WHERE u.id = i.user_id;
CREATE FUNCTION users_follow_last_sent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users u SET last_sent_at = i.sent
    FROM (SELECT user_id, MAX(last_sent_at) AS sent FROM written_invitations
          WHERE user_id IS NOT NULL GROUP BY user_id) i
    WHERE u.id = i.user_id AND u.last_sent_at < i.sent;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_last_sent_after_insert AFTER INSERT ON invitations
    REFERENCING NEW TABLE AS written_invitations
    FOR EACH STATEMENT EXECUTE FUNCTION users_follow_last_sent();
CREATE TRIGGER users_last_sent_after_update AFTER UPDATE ON invitations
    REFERENCING NEW TABLE AS written_invitations
    FOR EACH STATEMENT EXECUTE FUNCTION users_follow_last_sent();

-- One index per sort, in the listing's order and ending in a unique column
-- (Name and Email: 0003 and UNIQUE (org_id, email)).
CREATE INDEX users_org_status_name_key ON users (org_id, status, LOWER(name), id);
CREATE INDEX users_org_last_sent ON users (org_id, last_sent_at, id);
CREATE INDEX users_org_expires_key ON users (org_id, COALESCE(link_expires_at, 0), id);
