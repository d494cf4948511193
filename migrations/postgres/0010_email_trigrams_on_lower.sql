-- The email trigram index moves to LOWER(email), as the name's is on
-- LOWER(name). pg_trgm's GIN also serves "=", and on plain email Postgres
-- chose it for a bulk invite's lookups by address (email = ANY of 500):
-- every address's common trigrams (@ex, com, ...) read through, up to 3 s a
-- lookup at a few thousand users, where the (org_id, email) btree takes a
-- millisecond. Addresses are stored lower-cased (R3), so the search
-- (repos::listing, LOWER(u.email) LIKE) finds what it found before.
DROP INDEX users_email_trgm;
CREATE INDEX users_email_trgm ON users USING gin (LOWER(email) gin_trgm_ops);
