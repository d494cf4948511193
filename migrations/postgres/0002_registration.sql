-- Copied links (R10): the typed email was confirmed, so the password step may follow.
ALTER TABLE invite_links ADD COLUMN email_confirmed_at BIGINT;
-- Profile step of registration (SPEC R6): done once, after the password.
ALTER TABLE users ADD COLUMN onboarded_at BIGINT;
ALTER TABLE users ADD COLUMN terms_accepted_at BIGINT;
