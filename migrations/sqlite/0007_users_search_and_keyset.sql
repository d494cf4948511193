-- The users table at 100,000 users (SPEC §8), continued: search through
-- trigrams, and an index for every sort so that keyset paging seeks to any page.

-- Search: case-insensitive "contains" on name or email. users_search indexes
-- the trigrams of users(name, email) by rowid; the text itself is read from
-- users (external content), and the triggers keep the index in step with
-- every write. VACUUM keeps the rowids of a table with indexes, as users has;
-- a migration that rebuilds users must end with
-- INSERT INTO users_search (users_search) VALUES ('rebuild').
CREATE VIRTUAL TABLE users_search USING fts5(
    name, email, content = 'users', tokenize = 'trigram'
);
INSERT INTO users_search (users_search) VALUES ('rebuild');
CREATE TRIGGER users_search_after_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, name, email) VALUES (new.rowid, new.name, new.email);
END;
CREATE TRIGGER users_search_after_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, name, email)
        VALUES ('delete', old.rowid, old.name, old.email);
END;
CREATE TRIGGER users_search_after_update AFTER UPDATE OF name, email ON users BEGIN
    INSERT INTO users_search (users_search, rowid, name, email)
        VALUES ('delete', old.rowid, old.name, old.email);
    INSERT INTO users_search (rowid, name, email) VALUES (new.rowid, new.name, new.email);
END;

-- The Last sent sort reads the newest invitation email's time from the user
-- row (0: never sent), kept by triggers on every invitation written or resent.
ALTER TABLE users ADD COLUMN last_sent_at BIGINT NOT NULL DEFAULT 0;
UPDATE users SET last_sent_at = COALESCE(
    (SELECT MAX(i.last_sent_at) FROM invitations i WHERE i.user_id = users.id), 0);
CREATE TRIGGER users_last_sent_after_insert AFTER INSERT ON invitations
WHEN new.user_id IS NOT NULL BEGIN
    UPDATE users SET last_sent_at = new.last_sent_at
    WHERE id = new.user_id AND last_sent_at < new.last_sent_at;
END;
CREATE TRIGGER users_last_sent_after_update AFTER UPDATE OF last_sent_at, user_id ON invitations
WHEN new.user_id IS NOT NULL BEGIN
    UPDATE users SET last_sent_at = new.last_sent_at
    WHERE id = new.user_id AND last_sent_at < new.last_sent_at;
END;

-- One index per sort, in the listing's order and ending in a unique column
-- (Name and Email: 0003 and UNIQUE (org_id, email)).
CREATE INDEX users_org_status_name_key ON users (org_id, status, LOWER(name), id);
CREATE INDEX users_org_last_sent ON users (org_id, last_sent_at, id);
CREATE INDEX users_org_expires_key ON users (org_id, COALESCE(link_expires_at, 0), id);
