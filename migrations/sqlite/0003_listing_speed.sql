-- The users table at 100,000 users (SPEC §8): the expiry of each Invited
-- user's working link is kept on the user row, so filters, counts and the
-- Expires sort read one table through an index instead of joining links.
-- NULL: no working link (none yet, used, locked, revoked).
ALTER TABLE users ADD COLUMN link_expires_at BIGINT;
UPDATE users SET link_expires_at = (
    SELECT l.expires_at FROM invitations i
    JOIN invite_links l ON l.invitation_id = i.id AND l.state = 'active'
    WHERE i.user_id = users.id AND i.status = 'pending'
    ORDER BY l.created_at DESC LIMIT 1
);
CREATE INDEX users_org_status_expiry ON users (org_id, status, link_expires_at);
-- Sort by name in the order the listing asks for, so a page stops after 50 rows.
CREATE INDEX users_org_name_key ON users (org_id, LOWER(name), email, id);
